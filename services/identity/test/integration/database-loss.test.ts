// Postgres lost under a running service: 503 with Retry-After (not 500), and recovery on its
// own once the database is back. The loss is a TCP proxy this test owns, cut and restored,
// so the shared server is never touched.
import { testConfig, testSchema } from '@elcorp/testing';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { openIdentity, signedInUser } from './client.js';

/** Forwards to the real Postgres until cut; restored on the same port. */
async function databaseLink(t: Test) {
  const target = new URL(testConfig.databaseUrl);
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const open = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  };
  const cut = async () => {
    const closed = server ? once(server, 'close') : Promise.resolve();
    server?.close();
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  await open();
  t.teardown(cut);
  const url = new URL(testConfig.databaseUrl);
  url.host = `127.0.0.1:${port}`;
  return { url: url.toString(), cut, restore: open };
}

t.test('database gone: 503 service_unavailable with Retry-After; back: the service answers again by itself', async (t) => {
  const link = await databaseLink(t);
  const { schema } = await testSchema(t, 'identity');
  const identity = await openIdentity(t, { DATABASE_URL: link.url, DATABASE_SCHEMA: schema });
  const { device, session } = await signedInUser(identity);
  t.equal((await device.call('GET', '/api/v1/users/me', { session })).statusCode, 200);

  await link.cut();
  const lost = await device.call('GET', '/api/v1/users/me', { session });
  t.equal(lost.statusCode, 503, lost.body);
  t.match(lost.headers['content-type'], /^application\/problem\+json/);
  t.match(lost.json(), { code: 'service_unavailable', status: 503 });
  t.ok(Number(lost.headers['retry-after']) >= 1, 'Retry-After says when to try again');
  t.notMatch(lost.body, /ECONNREFUSED|5432|terminated/i, 'no internals in the answer');
  const register = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'lost@example.na', password: 'correct horse battery staple 42', fullName: 'N', phone: '+264811234567', agreedTerms: true } });
  t.equal(register.statusCode, 503, 'a write is 503 too');

  await link.restore();
  const back = await device.call('GET', '/api/v1/users/me', { session });
  t.equal(back.statusCode, 200, 'the pool reconnected on its own');
});
