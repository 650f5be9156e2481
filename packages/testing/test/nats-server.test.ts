import t from 'tap';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer } from '../src/index.js';
import { tryConnect } from '../src/ports.js';

t.test('stop and start keep the port and the JetStream store; clients reconnect', async (t) => {
  let port = 0;
  await t.test('a test restarting its broker', async (t) => {
    const server = await startNatsServer(t);
    port = server.port;
    t.equal(server.url, `nats://127.0.0.1:${port}`);
    const nc = await connect({ servers: server.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    t.teardown(() => nc.close());
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'] });
    await jetstream(nc).publish('orders.1', 'placed');

    const statuses = nc.status()[Symbol.asyncIterator]();
    const nextStatus = async (type: string) => {
      for (;;) {
        const { value, done } = await statuses.next();
        if (done) throw new Error('status stream ended');
        if (value.type === type) return;
      }
    };
    const disconnected = nextStatus('disconnect');
    await server.stop();
    await server.stop(); // a second stop is a no-op
    await disconnected;
    await t.rejects(tryConnect(port), 'port closed while stopped');

    const reconnected = nextStatus('reconnect');
    await server.start();
    await server.start(); // a second start is a no-op
    await reconnected;
    const info = await jsm.streams.info('ORDERS');
    t.equal(info.state.messages, 1, 'message survived the restart');
  });
  await t.rejects(tryConnect(port), 'server stopped at teardown');
});

t.test('reports a server that exits during start', async (t) => {
  await t.rejects(startNatsServer(t, { args: ['--no-such-flag'] }), /nats-server exited/);
});
