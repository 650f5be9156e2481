// Connections as a weapon: one address holding every connection it can open, dribbling half-sent
// requests, against the real gateway (in process, then as `pnpm start` runs it under a
// container's open-files limit) in front of the real identity.
import { freePort, metricValue, startServiceProcess, stopServiceProcess, testConfig, waitReady } from '@elcorp/testing';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import t, { type Test } from 'tap';
import { Pool } from 'undici';
import { reservedFileDescriptors } from '../../src/domain/client-connections.js';
import { listeningGateway, openIdentityUpstream, publicBaseUrl } from './identity-upstream.js';

const upstream = await openIdentityUpstream(t);

/** Loopback addresses other than 127.0.0.1: each is a client of its own to the gateway. */
const honest = '127.0.0.2';
const attacker = '127.0.0.3';
const proxy = '127.0.0.4';

interface Held {
  socket: net.Socket;
  /** What the gateway wrote before the connection closed, if it closed. */
  closed: Promise<string>;
}

/** A connection from `from` that starts a request and never finishes it (a slowloris client). */
async function holdConnection(port: number, from: string): Promise<Held> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
  socket.on('error', () => undefined);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  await once(socket, 'connect');
  socket.write('GET /health/live HTTP/1.1\r\nhost: localhost\r\n');
  return { socket, closed };
}

/** One whole request from `from` on a connection of its own. */
function getFrom(url: string, path: string, from: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}${path}`, { localAddress: from, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
  });
}

/** Polls `check` until it holds: for effects another process (or the event loop's next turn) produces. */
async function eventually(t: Test, what: string, check: () => Promise<boolean>, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  t.fail(`never: ${what}`);
}

/** A sample of the gateway's metrics, as its operators' listener serves them; 0 before it is counted. */
async function metric(internalUrl: string, sample: string): Promise<number> {
  return metricValue(await (await fetch(`${internalUrl}/metrics`)).text(), sample) ?? 0;
}

const refusedCount = (internalUrl: string, reason: 'address' | 'total') => metric(internalUrl, `gateway_connections_refused_total{reason="${reason}"`);

t.test('one address holds at most its share of connections; others, and proxies, are served', async (t) => {
  const perAddress = 8;
  const { url, internalUrl } = await listeningGateway(t, upstream, {
    RATE_LIMIT_PER_IP_PER_MINUTE: '100000',
    CLIENT_CONNECTIONS_PER_ADDRESS_MAX: String(perAddress),
    TRUST_PROXY: proxy,
  });
  const port = Number(new URL(url).port);

  // Opened one after another, so the gateway meets them in this order.
  const held: Held[] = [];
  for (let i = 0; i < perAddress; i++) held.push(await holdConnection(port, attacker));
  const over = [await holdConnection(port, attacker), await holdConnection(port, attacker)];
  for (const connection of over) {
    const answer = await connection.closed;
    t.match(answer, /^HTTP\/1\.1 429 Too Many Requests\r\n/, 'a connection over the share is answered 429 and closed');
    t.match(answer, /\r\nretry-after: 1\r\n/i);
    const problem = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { code: string; detail: string };
    t.equal(problem.code, 'rate_limited');
    t.equal(problem.detail, `at most ${perAddress} open connections per client address`);
  }
  t.equal(await refusedCount(internalUrl, 'address'), 2);

  // One that ignores the answer, keeps its half of the connection open and keeps sending.
  const stubborn = net.connect({ host: '127.0.0.1', port, localAddress: attacker, allowHalfOpen: true });
  stubborn.on('error', () => undefined);
  stubborn.resume();
  const closedByGateway = new Promise((resolve) => stubborn.on('close', resolve));
  const sending = setInterval(() => stubborn.write('x-still: here\r\n'), 100);
  await closedByGateway;
  clearInterval(sending);
  t.pass('the gateway closed it all the same, once its linger ran out');
  t.equal(await refusedCount(internalUrl, 'address'), 3);

  t.equal(await getFrom(url, '/.well-known/jwks.json', honest), 200, 'another address is served while the attacker holds its share');
  const throughProxy = await Promise.all(Array.from({ length: perAddress + 4 }, () => holdConnection(port, proxy)));
  t.equal(await getFrom(url, '/health/live', proxy), 200, 'a trusted proxy carries many clients: its connections are not held to one share');
  for (const connection of throughProxy) connection.socket.destroy();

  // The held connections go: the address gets its share back.
  for (const connection of held) connection.socket.destroy();
  await eventually(t, 'the attacker address is served again', async () => (await getFrom(url, '/health/live', attacker).catch(() => 0)) === 200);
});

t.test('under a container open-files limit, clients run out of connections before the gateway runs out of descriptors', async (t) => {
  const openFilesLimit = 512;
  const upstreamConnectionsMax = 16;
  // Four upstream pools (domain/routes.ts), each of UPSTREAM_CONNECTIONS_MAX.
  const clientBudget = openFilesLimit - 4 * upstreamConnectionsMax - reservedFileDescriptors;
  const port = await freePort();
  const internalPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const internalUrl = `http://127.0.0.1:${internalPort}`;
  const gateway = startServiceProcess('gateway', {
    openFilesLimit,
    env: {
      LOG_LEVEL: 'warn',
      PORT: String(port),
      INTERNAL_PORT: String(internalPort),
      PUBLIC_BASE_URL: publicBaseUrl,
      NATS_URL: testConfig.natsUrl,
      REDIS_URL: testConfig.redisUrl,
      REDIS_KEY_PREFIX: upstream.redisPrefix,
      EVENT_SUBJECT_ROOT: upstream.identity.subjectRoot,
      IDENTITY_URL: upstream.identityUrl,
      RATE_LIMIT_PER_IP_PER_MINUTE: '100000',
      UPSTREAM_CONNECTIONS_MAX: String(upstreamConnectionsMax),
      // Only the total is under test: every attacker address may hold as many as it likes.
      CLIENT_CONNECTIONS_PER_ADDRESS_MAX: '100000',
    },
  });
  t.teardown(() => stopServiceProcess(gateway));
  await waitReady(gateway, url);

  // An honest client's kept-alive connections, open before the flood.
  const honestConnections = 16;
  const client = new Pool(url, { connections: honestConnections, localAddress: honest });
  t.teardown(() => client.close());
  const all = (path: string) => Promise.all(Array.from({ length: honestConnections }, () => client.request({ path, method: 'GET' }).then(async (r) => (await r.body.dump(), r.statusCode))));
  t.same(new Set(await all('/health/live')), new Set([200]));
  const before = await metric(internalUrl, 'gateway_client_connections');

  // Attackers from six addresses open more connections than the process has descriptors.
  const attempts = openFilesLimit;
  const flood = await Promise.all(Array.from({ length: attempts }, (_, i) => holdConnection(port, `127.0.1.${1 + (i % 6)}`).catch(() => undefined)));
  t.teardown(() => flood.forEach((held) => held?.socket.destroy()));
  const accepted = clientBudget - before;
  await eventually(t, 'the gateway refused what its budget has no room for', async () => (await refusedCount(internalUrl, 'total')) >= attempts - accepted);
  t.equal(await refusedCount(internalUrl, 'total'), attempts - accepted, 'every connection past the budget was closed on arrival');
  t.equal(await metric(internalUrl, 'gateway_client_connections'), clientBudget, `the gateway holds ${clientBudget} client connections under ${openFilesLimit} descriptors`);

  // Each honest request now needs a connection to identity the gateway has not opened yet.
  t.same(new Set(await all('/.well-known/jwks.json')), new Set([200]), 'requests on open connections still reach identity');
  const health = (await (await fetch(`${internalUrl}/health/upstreams`)).json()) as { upstreams: Record<string, { circuit: string }> };
  t.equal(health.upstreams['identity']?.circuit, 'closed', "identity's circuit stayed closed: the flood was never counted as its fault");

  for (const held of flood) held?.socket.destroy();
  await eventually(t, 'a new client is served once the flood is gone', async () => (await getFrom(url, '/health/live', honest).catch(() => 0)) === 200);
});
