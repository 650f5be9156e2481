import t from 'tap';
import { once } from 'node:events';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, shutdown } from '../src/index.js';
import { sampleApp } from './helpers.js';

/** A route that answers only when the test says so, to hold a request in flight. */
async function appWithGate() {
  const app = await sampleApp();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let arrived!: () => void;
  const inFlight = new Promise<void>((resolve) => (arrived = resolve));
  app.get('/slow', async () => {
    arrived();
    await released;
    return { done: true };
  });
  const closed: string[] = [];
  app.addHook('onClose', async () => {
    closed.push('pool');
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { app, port, release, inFlight, closed };
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('in-flight requests finish, new connections are refused, close hooks run', async (t) => {
  const { app, port, release, inFlight, closed } = await appWithGate();
  const slow = get(port, '/slow');
  await inFlight;
  const stopping = shutdown(app, 5_000);
  t.equal(app.lifecycle.shuttingDown, true);
  t.same(closed, [], 'resources stay open while a request is in flight');
  await t.rejects(get(port, '/health/live'), { code: 'ECONNREFUSED' }, 'no new connections');
  release();
  t.same(await slow, { status: 200, body: '{"done":true}' });
  t.same(await stopping, { timedOut: false });
  t.same(closed, ['pool']);
});

t.test('a request that outlives the deadline is cut and reported', async (t) => {
  const { app, port, inFlight, closed } = await appWithGate();
  const slow = get(port, '/slow').catch((err: NodeJS.ErrnoException) => err.code);
  await inFlight;
  t.same(await shutdown(app, 100), { timedOut: true });
  t.equal(await slow, 'ECONNRESET');
  t.same(closed, ['pool']);
});

t.test('serve() drains on SIGTERM and exits 0', async (t) => {
  const app = await sampleApp();
  const exited = new Promise<number>((resolve) => {
    void serve(app, { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 2_000, exit: resolve });
  });
  await once(app.server, 'listening');
  const { port } = app.server.address() as AddressInfo;
  t.equal((await get(port, '/health/live')).status, 200);
  // Orchestrators and process-group kills often signal twice; the second must not kill the drain.
  process.kill(process.pid, 'SIGTERM');
  process.kill(process.pid, 'SIGTERM');
  t.equal(await exited, 0);
  t.equal(app.server.listening, false);
});
