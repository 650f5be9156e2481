// Local node:http servers stand in for the upstreams where a failure mode is the point
// (refusing, resetting, slow, 5xx, huge bodies); the last test proxies to the real identity.
import { attestVerifiedProof, isAttestedProof } from '@elcorp/auth';
import { identityService } from '@elcorp/identity/service';
import { buildApp, createLogger, developmentClientAddressSecret, verifiedClientAddress, type App } from '@elcorp/kit';
import { bootService } from '@elcorp/service-testing';
import { freePort, testRedisPrefix } from '@elcorp/testing';
import { once } from 'node:events';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { z } from 'zod';
import { upstreamFor, type Upstream } from '../../src/domain/routes.js';
import { registerProxy, routedPatterns } from '../../src/http/proxy.js';
import { upstreamHealthChecks, upstreamHealthReport } from '../../src/http/readiness.js';
import { gatheredBodyMaxBytes, headersOf } from '../../src/infrastructure/upstream-exchange.js';
import { openUpstreams, type UpstreamsOptions } from '../../src/infrastructure/upstreams.js';

const mib = 1024 * 1024;

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The gateway dropped the request before its body ended. */
  aborted: boolean;
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

const answerJson: Handler = (_req, res, seen) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ method: seen.method, url: seen.url }));
};

/** A neighbour service on 127.0.0.1: records each request, answers with `handle` once the body has arrived. */
async function upstreamServer(t: Test, handle: Handler = answerJson) {
  const seen: Seen[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    const record: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.alloc(0), aborted: false };
    seen.push(record);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => undefined);
    req.on('close', () => {
      if (!req.complete) record.aborted = true;
    });
    req.on('end', () => {
      record.body = Buffer.concat(chunks);
      handle(req, res, record);
    });
  });
  server.on('connection', () => (connections += 1));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server, connections: () => connections };
}

/** An origin where nothing listens: every connection is refused. */
const refusingUrl = async () => `http://127.0.0.1:${await freePort()}`;

interface GatewayOptions extends Partial<Omit<UpstreamsOptions, 'urls'>> {
  /** Runs on the app before the proxy is registered, as the authentication hooks will. */
  before?: (app: App) => void;
  /** CLIENT_ADDRESS_SECRET; the development value when absent. */
  clientAddressSecret?: string;
}

async function gateway(t: Test, urls: Partial<Record<Upstream, string>>, options: GatewayOptions = {}) {
  const refused = await refusingUrl();
  const { before, clientAddressSecret, ...upstreamOptions } = options;
  const upstreams = openUpstreams({
    urls: { identity: refused, payments: refused, governance: refused, compliance: refused, ...urls },
    connectionsMax: 8,
    timeoutMs: 2_000,
    circuit: { failureRatio: 1, minimumRequests: 100, windowMs: 60_000 },
    circuitOpenMs: 5_000,
    ...upstreamOptions,
  });
  const app = await buildApp({ service: 'gateway', logger: createLogger({ service: 'gateway', level: 'silent' }) });
  app.addHook('onClose', () => upstreams.close());
  before?.(app);
  await registerProxy(app, { upstreams, ...(clientAddressSecret ? { clientAddressSecret } : {}) });
  t.teardown(() => app.close());
  return { app, upstreams };
}

/** The gateway on a real socket, for what inject cannot show (chunked uploads, client aborts). */
async function listening(t: Test, app: App): Promise<string> {
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  return address;
}

t.test('routes each prefix to its service, path and query unchanged, every method', async (t) => {
  const identity = await upstreamServer(t);
  const payments = await upstreamServer(t);
  const governance = await upstreamServer(t);
  const compliance = await upstreamServer(t);
  const { app } = await gateway(t, { identity: identity.url, payments: payments.url, governance: governance.url, compliance: compliance.url });

  const cases: Array<[string, string, { seen: Seen[] }]> = [
    ['POST', '/api/v1/auth/register', identity],
    ['GET', '/api/v1/users', identity],
    ['PATCH', '/api/v1/users/me', identity],
    ['GET', '/.well-known/jwks.json', identity],
    ['GET', '/api/v1/payments/accounts?limit=5&cursor=a%2Fb', payments],
    ['PUT', '/api/v1/governance/users/u1/roles/staff', governance],
    ['DELETE', '/api/v1/governance/policies/p1', governance],
    ['OPTIONS', '/api/v1/compliance/audit', compliance],
  ];
  for (const [method, url, upstream] of cases) {
    const res = await app.inject({ method: method as 'GET', url });
    t.equal(res.statusCode, 200, `${method} ${url}`);
    t.match(upstream.seen.at(-1), { method, url }, `${method} ${url} reached its service as sent`);
  }
  const head = await app.inject({ method: 'HEAD', url: '/api/v1/payments/accounts' });
  t.equal(head.statusCode, 200);
  t.equal(head.body, '', 'HEAD answers without a body');
  t.equal(payments.seen.at(-1)?.method, 'HEAD');
  t.equal(identity.seen.length + payments.seen.length + governance.seen.length + compliance.seen.length, cases.length + 1);
});

t.test('paths the gateway does not route get the kit 404; its own routes keep their JSON parser', async (t) => {
  const payments = await upstreamServer(t);
  const { app } = await gateway(t, { payments: payments.url }, {
    before: (app) => {
      app.post('/own', { schema: { body: z.strictObject({ n: z.number() }) } }, async (request) => request.body);
    },
  });
  for (const url of ['/api/v1/unknown', '/api/v1/auth', '/api/v1/paymentsx/a', '/api/v1/usersx']) {
    const res = await app.inject({ method: 'POST', url, payload: {} });
    t.equal(res.statusCode, 404, url);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.equal(res.json().code, 'not_found');
  }
  t.equal(payments.seen.length, 0, 'nothing was forwarded');
  t.same((await app.inject({ method: 'POST', url: '/own', payload: { n: 1 } })).json(), { n: 1 });
  t.equal((await app.inject({ method: 'POST', url: '/own', payload: { n: 1, extra: true } })).statusCode, 422);
  t.equal((await app.inject({ method: 'POST', url: '/own', headers: { 'content-type': 'application/xml' }, payload: '<n/>' })).statusCode, 415);
  t.equal((await app.inject('/health/live')).statusCode, 200);

  // Clients such as inject and browsers resolve dot segments; a raw request line does not.
  const base = await listening(t, app);
  for (const path of ['/api/v1/payments/../auth/login', '/api/v1/payments/%2e%2E/x', '/api/v1/payments/./a']) {
    const [response] = (await once(http.get(`${base}${path}`, { path }), 'response')) as [IncomingMessage];
    response.resume();
    t.equal(response.statusCode, 404, `${path} is refused`);
  }
  t.equal(payments.seen.length, 0, 'nothing was forwarded');
});

t.test('every route pattern is one the route table sends somewhere', async (t) => {
  for (const pattern of routedPatterns) t.ok(upstreamFor(pattern.replace('*', 'x')), pattern);
});

t.test('request headers: hop-by-hop and internal ones dropped, forwarding and principal set', async (t) => {
  const identity = await upstreamServer(t);
  const principal = { userId: 'u-1', sessionId: 's-1', roles: ['user'], jkt: 'thumb' };
  const secret = 'this-deployment-shares-it-with-its-services';
  const { app } = await gateway(t, { identity: identity.url }, {
    clientAddressSecret: secret,
    before: (app) =>
      app.addHook('onRequest', async (request) => {
        request.clientAddress = '203.0.113.9';
        if (request.headers['x-test-signed-in']) request.principal = principal;
      }),
  });

  const res = await app.inject({
    method: 'GET',
    url: '/api/v1/users/me',
    headers: {
      host: 'api.elcorp.test',
      connection: 'keep-alive, x-per-hop',
      'x-per-hop': 'gone',
      'keep-alive': 'timeout=5',
      'proxy-authorization': 'Basic c2VjcmV0',
      te: 'trailers',
      trailer: 'x-checksum',
      upgrade: 'websocket',
      'x-elcorp-principal': 'forged',
      'x-ELCORP-client-address': '6.6.6.6',
      'x-forwarded-for': '6.6.6.6',
      'x-forwarded-host': 'evil.test',
      forwarded: 'for=6.6.6.6',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'x-request-id': 'req-42',
      authorization: 'DPoP token',
      dpop: 'proof',
      accept: 'application/json',
      'x-test-signed-in': '1',
    },
  });
  t.equal(res.statusCode, 200);
  const sent = identity.seen[0]!.headers;
  for (const name of ['x-per-hop', 'keep-alive', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'forwarded', 'traceparent']) {
    t.notOk(name in sent, `${name} is not forwarded`);
  }
  t.notMatch(String(sent.connection), /x-per-hop/, 'the connection header is the gateway\'s own');
  t.same(
    Object.keys(sent).filter((name) => name.startsWith('x-elcorp-')).sort(),
    ['x-elcorp-client-address', 'x-elcorp-client-address-signature', 'x-elcorp-dpop-verified'],
    'the only internal headers are the signed client address and the signed word that the proof was verified: no principal header, services verify the token',
  );
  t.ok(isAttestedProof(sent, secret, 'GET', '/api/v1/users/me'), 'the proof attestation names this token, proof, method and path');
  t.notOk(isAttestedProof({ ...sent, dpop: 'another proof' }, secret, 'GET', '/api/v1/users/me'), 'and no other proof');
  t.equal(sent['x-elcorp-client-address'], '203.0.113.9');
  t.equal(verifiedClientAddress(sent, secret), '203.0.113.9', 'signed with the configured secret');
  t.equal(verifiedClientAddress({ ...sent, 'x-elcorp-client-address': '198.51.100.1' }, secret), undefined, 'the signature covers the address');
  t.equal(sent['x-forwarded-for'], '203.0.113.9', 'the client address the gateway determined');
  t.equal(sent['x-forwarded-proto'], 'http');
  t.equal(sent['x-forwarded-host'], 'api.elcorp.test');
  t.equal(sent['x-request-id'], 'req-42');
  t.equal(res.headers['x-request-id'], 'req-42');
  t.equal(sent.authorization, 'DPoP token', 'credentials travel on: services verify the token again');
  t.equal(sent.dpop, 'proof');
  t.equal(sent.accept, 'application/json');
  t.not(sent.host, 'api.elcorp.test', 'the upstream sees its own host');

  const forgedAttestation = attestVerifiedProof(secret, { method: 'GET', path: '/api/v1/users/me', authorization: 'DPoP token', proof: 'proof' });
  await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { 'x-elcorp-principal': 'forged', authorization: 'DPoP token', dpop: 'proof', 'x-elcorp-dpop-verified': forgedAttestation } });
  t.notOk(identity.seen[1]!.headers['x-elcorp-principal'], 'a forged principal header never reaches a service');
  t.notOk(identity.seen[1]!.headers['x-elcorp-dpop-verified'], 'nor a client\'s own attestation: only a request the gateway authenticated carries one');
});

t.test('under the public development secret the gateway attests nothing: it would vouch for nothing', async (t) => {
  const identity = await upstreamServer(t);
  const { app } = await gateway(t, { identity: identity.url }, {
    clientAddressSecret: developmentClientAddressSecret,
    before: (app) =>
      app.addHook('onRequest', async (request) => {
        request.principal = { userId: 'u-1', sessionId: 's-1', roles: ['user'], jkt: 'thumb' };
      }),
  });
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: 'DPoP token', dpop: 'proof' } })).statusCode, 200);
  t.notOk(identity.seen[0]!.headers['x-elcorp-dpop-verified']);
  t.ok(identity.seen[0]!.headers['x-elcorp-client-address-signature'], 'the address is still signed (identity believes it outside production)');
});

t.test('response headers: hop-by-hop and internal ones dropped, internal redirects made relative', async (t) => {
  const payments = await upstreamServer(t, (_req, res) => {
    res.setHeader('connection', 'x-per-hop');
    res.setHeader('x-per-hop', '1');
    res.setHeader('proxy-authenticate', 'Basic');
    res.setHeader('x-elcorp-internal', 'secret');
    res.setHeader('set-cookie', ['a=1', 'b=2']);
    res.setHeader('x-request-id', 'upstream-id');
    res.setHeader('idempotent-replayed', 'true');
    res.setHeader('location', `http://${(res.req.socket.address() as AddressInfo).address}:${(res.req.socket.address() as AddressInfo).port}/api/v1/payments/transfers/t1?x=1`);
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end('{"id":"t1"}');
  });
  const { app } = await gateway(t, { payments: payments.url });
  const res = await app.inject({ method: 'POST', url: '/api/v1/payments/transfers', payload: { amount: '1.00' }, headers: { 'x-request-id': 'mine' } });
  t.equal(res.statusCode, 201);
  t.equal(res.body, '{"id":"t1"}');
  t.notOk(res.headers['x-per-hop']);
  t.notOk(res.headers['proxy-authenticate']);
  t.notOk(res.headers['x-elcorp-internal']);
  t.same(res.headers['set-cookie'], ['a=1', 'b=2']);
  t.equal(res.headers['idempotent-replayed'], 'true', 'end-to-end headers pass');
  t.equal(res.headers['x-request-id'], 'mine');
  t.equal(res.headers.location, '/api/v1/payments/transfers/t1?x=1', 'no internal host in a redirect');
});

t.test('bodies stream both ways, whatever their type, up to 1 MiB in', async (t) => {
  const huge = Buffer.alloc(8 * mib, 7);
  const payments = await upstreamServer(t, (req, res, seen) => {
    if (req.url === '/api/v1/payments/export') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(huge);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ bytes: seen.body.length, type: seen.headers['content-type'] ?? null, length: seen.headers['content-length'] ?? null }));
  });
  const { app } = await gateway(t, { payments: payments.url });

  const json = '{"amount":"125.50","currency":"NAD", "note": "kept byte for byte"}';
  await app.inject({ method: 'POST', url: '/api/v1/payments/transfers', headers: { 'content-type': 'application/json' }, payload: json });
  t.equal(payments.seen[0]!.body.toString(), json, 'JSON is not re-serialised');

  const exact = Buffer.alloc(mib, 1);
  const res = await app.inject({ method: 'PUT', url: '/api/v1/payments/blob', headers: { 'content-type': 'application/pdf' }, payload: exact });
  t.same(res.json(), { bytes: mib, type: 'application/pdf', length: String(mib) }, 'exactly 1 MiB passes');

  const untyped = await app.inject({ method: 'POST', url: '/api/v1/payments/x', payload: Buffer.from('raw bytes') });
  t.same(untyped.json(), { bytes: 9, type: null, length: '9' }, 'a body without content type passes too');

  const download = await app.inject({ method: 'GET', url: '/api/v1/payments/export' });
  t.equal(download.rawPayload.length, huge.length, 'answers are not limited: they stream back');
});

/**
 * In the gateway, the admission hooks wait for Redis, and a small body sent with its head has
 * arrived by then: this hook stands in for that wait.
 */
const bodyArrivesDuringAdmission = (app: App) => app.addHook('onRequest', async (request) => until(() => request.raw.complete));

t.test('a body that arrived with its request goes up whole, byte for byte, on a connection that stays usable', async (t) => {
  const payments = await upstreamServer(t, (_req, res, seen) => {
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ body: seen.body.toString(), length: seen.headers['content-length'] ?? null, key: seen.headers['idempotency-key'] ?? null }));
  });
  const { app } = await gateway(t, { payments: payments.url }, { before: bodyArrivesDuringAdmission });
  const base = await listening(t, app);
  for (const amount of ['1.00', '2.50']) {
    const json = `{"amount":"${amount}","currency":"NAD"}`;
    const res = await fetch(`${base}/api/v1/payments/transfers`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': `k-${amount}` }, body: json });
    t.equal(res.status, 201);
    t.same(await res.json(), { body: json, length: String(Buffer.byteLength(json)), key: `k-${amount}` });
  }

  // Chunked, but complete before the gateway forwards it: the upstream gets the same bytes.
  const request = http.request(`${base}/api/v1/payments/transfers`, { method: 'POST', headers: { 'content-type': 'application/json' } });
  request.end('{"amount":"3.00"}');
  const [response] = (await once(request, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  t.equal(response.statusCode, 201);
  t.equal(JSON.parse(Buffer.concat(chunks).toString()).body, '{"amount":"3.00"}');
});

t.test('a whole body written to a connection that is then lost is never sent again, even for PUT', async (t) => {
  const payments = await upstreamServer(t);
  payments.server.prependListener('connection', (socket) => socket.destroy());
  const { app } = await gateway(t, { payments: payments.url }, { before: bodyArrivesDuringAdmission });
  const base = await listening(t, app);
  const res = await fetch(`${base}/api/v1/payments/accounts/a1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"name":"a"}' });
  t.equal(res.status, 502);
  t.equal(((await res.json()) as { code: string }).code, 'bad_gateway');
  t.equal(payments.connections(), 1, 'one attempt');
});

t.test('small answers are written whole with the gateway\'s headers; large or unannounced ones stream', async (t) => {
  const big = Buffer.alloc(gatheredBodyMaxBytes + 1, 5);
  const payments = await upstreamServer(t, (req, res) => {
    if (req.url === '/api/v1/payments/small') return void res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11', 'x-content-type-options': 'upstream' }).end('{"ok":true}');
    if (req.url === '/api/v1/payments/untyped') return void res.writeHead(200, { 'content-length': '2' }).end('ok');
    if (req.url === '/api/v1/payments/big') return void res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(big.length) }).end(big);
    if (req.url === '/api/v1/payments/empty') return void res.writeHead(204).end();
    res.writeHead(200, { 'content-type': 'text/plain' }); // chunked: no length announced
    res.write('a');
    res.end('b');
  });
  const { app } = await gateway(t, { payments: payments.url }, { before: (app) => app.addHook('onRequest', (_req, reply, done) => done(void reply.header('x-gateway-own', '1'))) });
  const small = await app.inject('/api/v1/payments/small');
  t.equal(small.body, '{"ok":true}');
  t.equal(small.headers['content-length'], '11');
  t.equal(small.headers['x-gateway-own'], '1', 'headers the gateway set in its hooks are kept');
  t.equal(small.headers['x-content-type-options'], 'upstream', 'the upstream\'s header wins, as reply.headers() merged them');
  const untyped = await app.inject('/api/v1/payments/untyped');
  t.equal(untyped.body, 'ok');
  t.notOk(untyped.headers['content-type'], 'no content type is made up for an answer without one');
  const large = await app.inject('/api/v1/payments/big');
  t.equal(large.rawPayload.length, big.length);
  t.equal(large.headers['x-gateway-own'], '1');
  const unannounced = await app.inject('/api/v1/payments/chunked');
  t.equal(unannounced.body, 'ab');
  t.equal(unannounced.headers['x-gateway-own'], '1');
  const empty = await app.inject('/api/v1/payments/empty');
  t.equal(empty.statusCode, 204);
  t.equal(empty.body, '');
});

t.test('an announced small body cut short answers 502, never a truncated 200', async (t) => {
  const payments = await upstreamServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"partial":');
    res.socket?.destroy();
  });
  const { app } = await gateway(t, { payments: payments.url });
  const res = await app.inject({ method: 'POST', url: '/api/v1/payments/transfers', payload: {} });
  t.equal(res.statusCode, 502);
  t.equal(res.json().code, 'bad_gateway');
});

t.test('an upstream header node:http will not write answers 502, never a hung client', async (t) => {
  const raw = net.createServer((socket) => {
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-odd: a\x7fb\r\n\r\nok'));
  });
  raw.listen(0, '127.0.0.1');
  await once(raw, 'listening');
  t.teardown(() => raw.close());
  const { app } = await gateway(t, { payments: `http://127.0.0.1:${(raw.address() as AddressInfo).port}` });
  const res = await app.inject('/api/v1/payments/accounts');
  t.not(res.statusCode, 200);
  t.ok(res.statusCode === 502 || res.statusCode === 503, `answered ${res.statusCode}`);
});

t.test('upstream header names are only names: __proto__ and constructor pass as headers', (t) => {
  const headers = headersOf([Buffer.from('__proto__'), Buffer.from('x'), Buffer.from('Constructor'), Buffer.from('y'), Buffer.from('Set-Cookie'), Buffer.from('a=1'), Buffer.from('set-cookie'), Buffer.from('b=2')]);
  t.equal(Object.getPrototypeOf(headers), null);
  t.equal(headers['__proto__'], 'x');
  t.equal(headers['constructor'], 'y');
  t.same(headers['set-cookie'], ['a=1', 'b=2']);
  t.end();
});

t.test('a Content-Length over 1 MiB is refused with 413 before the upstream is contacted', async (t) => {
  const payments = await upstreamServer(t);
  const { app } = await gateway(t, { payments: payments.url });
  const res = await app.inject({ method: 'POST', url: '/api/v1/payments/transfers', headers: { 'content-type': 'application/json' }, payload: Buffer.alloc(mib + 1, 32) });
  t.equal(res.statusCode, 413);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.equal(res.json().code, 'payload_too_large');
  t.equal(payments.connections(), 0);
});

t.test('a chunked body growing past 1 MiB gets 413 and the upstream request is aborted', async (t) => {
  const payments = await upstreamServer(t);
  const { app } = await gateway(t, { payments: payments.url });
  const base = await listening(t, app);

  const request = http.request(`${base}/api/v1/payments/transfers`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' } });
  request.on('error', () => undefined); // the gateway may close while we still write
  const answered = once(request, 'response') as Promise<[IncomingMessage]>;
  const chunk = Buffer.alloc(64 * 1024, 1);
  for (let sent = 0; sent <= 2 * mib; sent += chunk.length) {
    if (!request.write(chunk)) await Promise.race([once(request, 'drain'), answered]);
    if (request.destroyed) break;
  }
  request.end();
  const [response] = await answered;
  t.equal(response.statusCode, 413);
  const body: Buffer[] = [];
  for await (const part of response) body.push(part as Buffer);
  t.equal(JSON.parse(Buffer.concat(body).toString()).code, 'payload_too_large');
  await t.resolves(until(() => payments.seen[0]?.aborted === true), 'the upstream saw its request dropped');
  t.ok(payments.seen[0]!.body.length <= mib, 'no byte past the limit was forwarded');
});

t.test('a client that goes away aborts its upstream request and does not count against the upstream', async (t) => {
  let responses = 0;
  const payments = await upstreamServer(t, (_req, res) => {
    res.on('close', () => (responses += res.writableFinished ? 0 : 1));
    // never answers
  });
  const { app, upstreams } = await gateway(t, { payments: payments.url }, { circuit: { failureRatio: 1, minimumRequests: 1, windowMs: 60_000 } });
  const base = await listening(t, app);
  const request = http.get(`${base}/api/v1/payments/accounts`);
  request.on('error', () => undefined);
  await until(() => payments.seen.length === 1);
  request.destroy();
  await t.resolves(until(() => responses === 1), 'the upstream connection was closed');
  t.equal(upstreams.get('payments').circuit.state, 'closed');
});

t.test('an upstream that does not answer in time gets 504 upstream_timeout', async (t) => {
  const payments = await upstreamServer(t, () => undefined);
  const { app } = await gateway(t, { payments: payments.url }, { timeoutMs: 300 });
  const res = await app.inject({ method: 'GET', url: '/api/v1/payments/accounts' });
  t.equal(res.statusCode, 504);
  t.match(res.json(), { code: 'upstream_timeout', status: 504, type: 'https://errors.elcorp.na/upstream_timeout' });
  t.notMatch(res.body, /127\.0\.0\.1|timeout error|UND_ERR/i, 'no internal detail leaks');
});

t.test('a body that stalls after the headers ends the client connection instead of hanging', async (t) => {
  const payments = await upstreamServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
  });
  const { app } = await gateway(t, { payments: payments.url }, { timeoutMs: 300 });
  const base = await listening(t, app);
  const [response] = (await once(http.get(`${base}/api/v1/payments/export`), 'response')) as [IncomingMessage];
  t.equal(response.statusCode, 200);
  const ended = new Promise<string>((resolve) => {
    response.on('error', () => resolve('error'));
    response.on('aborted', () => resolve('aborted'));
    response.on('end', () => resolve(response.complete ? 'complete' : 'truncated'));
    response.resume();
  });
  t.not(await ended, 'complete', 'the client learns the body is incomplete');
});

t.test('a refused connection: 503 upstream_unavailable with Retry-After, never a hang', async (t) => {
  const { app } = await gateway(t, {});
  for (const method of ['GET', 'POST'] as const) {
    const res = await app.inject({ method, url: '/api/v1/governance/requests' });
    t.equal(res.statusCode, 503, method);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.equal(res.headers['retry-after'], '1');
    t.match(res.json(), { code: 'upstream_unavailable', status: 503, instance: '/api/v1/governance/requests' });
    t.notMatch(res.body, /127\.0\.0\.1|ECONNREFUSED|governance:/);
  }
});

t.test('a lost connection is retried twice for idempotent methods, never for POST or PATCH', async (t) => {
  const payments = await upstreamServer(t);
  // Every connection is cut before an answer: the request never got a response.
  payments.server.prependListener('connection', (socket) => socket.destroy());
  const { app } = await gateway(t, { payments: payments.url });
  const expected: Array<[string, number]> = [['GET', 3], ['DELETE', 3], ['PUT', 3], ['POST', 1], ['PATCH', 1]];
  for (const [method, attempts] of expected) {
    const before = payments.connections();
    const res = await app.inject({ method: method as 'GET', url: '/api/v1/payments/accounts/a1' });
    t.equal(res.statusCode, 502, `${method} answers 502`);
    t.equal(res.json().code, 'bad_gateway');
    t.equal(payments.connections() - before, attempts, `${method}: ${attempts} attempt(s)`);
  }
});

t.test('a retry after a lost connection succeeds when the upstream recovers', async (t) => {
  let cut = 1;
  const payments = await upstreamServer(t);
  payments.server.prependListener('connection', (socket) => {
    if (cut-- > 0) socket.destroy();
  });
  const { app } = await gateway(t, { payments: payments.url });
  const res = await app.inject({ method: 'GET', url: '/api/v1/payments/accounts' });
  t.equal(res.statusCode, 200);
  t.equal(payments.connections(), 2);
});

t.test('the circuit opens on the upstream\'s own 503s, answers 503 at once, and a probe closes it', async (t) => {
  const clock = { nowMs: 1_000 };
  let status = 503;
  const payments = await upstreamServer(t, (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ code: status === 503 ? 'internal' : 'ok', status }));
  });
  const { app, upstreams } = await gateway(t, { payments: payments.url }, { circuit: { failureRatio: 1, minimumRequests: 2, windowMs: 60_000 }, circuitOpenMs: 30_000, now: () => clock.nowMs });

  for (let i = 0; i < 2; i += 1) {
    const res = await app.inject('/api/v1/payments/accounts');
    t.equal(res.statusCode, 503, 'an upstream 5xx reaches the client as it is');
    t.same(res.json(), { code: 'internal', status: 503 });
  }
  const open = await app.inject('/api/v1/payments/accounts');
  t.equal(open.statusCode, 503);
  t.equal(open.json().code, 'upstream_unavailable');
  t.equal(open.headers['retry-after'], '30');
  t.equal(payments.seen.length, 2, 'an open circuit does not contact the upstream');

  clock.nowMs += 29_500;
  t.equal((await app.inject('/api/v1/payments/accounts')).headers['retry-after'], '1', 'seconds until the probe, rounded up');
  t.equal((await app.inject('/api/v1/identity-is-separate')).statusCode, 404);

  clock.nowMs += 500;
  status = 200;
  const probe = await app.inject('/api/v1/payments/accounts');
  t.equal(probe.statusCode, 200, 'the probe goes through');
  t.equal(upstreams.get('payments').circuit.state, 'closed');
  t.equal((await app.inject('/api/v1/payments/accounts')).statusCode, 200);
  t.equal(upstreams.get('identity').circuit.state, 'closed', 'each upstream has its own circuit');
});

t.test('an upstream 500 reaches the client but is no verdict on the upstream', async (t) => {
  const payments = await upstreamServer(t, (_req, res) => res.writeHead(500, { 'content-type': 'application/problem+json' }).end('{"code":"internal","status":500}'));
  const { app, upstreams } = await gateway(t, { payments: payments.url }, { circuit: { failureRatio: 0.5, minimumRequests: 3, windowMs: 60_000 } });
  for (let i = 0; i < 10; i += 1) t.equal((await app.inject('/api/v1/payments/accounts')).statusCode, 500);
  t.equal(upstreams.get('payments').circuit.state, 'closed');
  t.same(upstreams.get('payments').circuit.window, { successes: 10, failures: 0 });
});

t.test('a client trickling its body past the deadline gets 408 request_timeout; the upstream is not blamed', async (t) => {
  const payments = await upstreamServer(t);
  const { app, upstreams } = await gateway(t, { payments: payments.url }, { timeoutMs: 300, circuit: { failureRatio: 0.5, minimumRequests: 1, windowMs: 60_000 } });
  const base = await listening(t, app);
  for (let i = 0; i < 3; i += 1) {
    const request = http.request(`${base}/api/v1/payments/transfers`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100' } });
    request.on('error', () => undefined);
    request.write('{"amount":');
    const [response] = (await once(request, 'response')) as [IncomingMessage];
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    t.equal(response.statusCode, 408);
    t.match(response.headers['content-type'], /^application\/problem\+json/);
    t.match(JSON.parse(Buffer.concat(chunks).toString()), { code: 'request_timeout', status: 408 });
    request.destroy();
  }
  t.equal(upstreams.get('payments').circuit.state, 'closed', 'three slow clients did not open a circuit opened by one failure');
  t.same(upstreams.get('payments').circuit.window, { successes: 0, failures: 0 }, 'nor counted at all');
  const honest = await app.inject({ method: 'POST', url: '/api/v1/payments/transfers', payload: { amount: 1 } });
  t.equal(honest.statusCode, 200);
});

t.test('a body sent in time gives the upstream its own full deadline afterwards', async (t) => {
  const payments = await upstreamServer(t, (_req, res) => setTimeout(() => res.writeHead(200).end('{}'), 250));
  const { app, upstreams } = await gateway(t, { payments: payments.url }, { timeoutMs: 400 });
  const base = await listening(t, app);
  const request = http.request(`${base}/api/v1/payments/transfers`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '2' } });
  request.write('{');
  // The body takes most of the deadline; the upstream then needs 250 ms of its own.
  setTimeout(() => request.end('}'), 250);
  const [response] = (await once(request, 'response')) as [IncomingMessage];
  response.resume();
  t.equal(response.statusCode, 200);
  t.equal(upstreams.get('payments').circuit.state, 'closed');
});

t.test('a down upstream opens its circuit too; Retry-After then counts down the open period', async (t) => {
  const clock = { nowMs: 0 };
  const { app, upstreams } = await gateway(t, {}, { circuit: { failureRatio: 1, minimumRequests: 2, windowMs: 60_000 }, circuitOpenMs: 10_000, now: () => clock.nowMs });
  t.equal((await app.inject('/api/v1/compliance/audit')).headers['retry-after'], '1', 'still closed: retry soon');
  const opened = await app.inject('/api/v1/compliance/audit');
  t.equal(opened.statusCode, 503);
  t.equal(opened.headers['retry-after'], '10', 'the failure that opened the circuit says when the probe comes');
  t.equal(upstreams.get('compliance').circuit.state, 'open');
  clock.nowMs += 4_000;
  t.equal((await app.inject('/api/v1/compliance/audit')).headers['retry-after'], '6');
});

t.test('the upstream report probes each upstream, with a 1 s limit per check', async (t) => {
  const ready = await upstreamServer(t, (_req, res) => res.writeHead(200).end('{"status":"ready"}'));
  const notReady = await upstreamServer(t, (_req, res) => res.writeHead(503).end('{"status":"not_ready"}'));
  const hanging = await upstreamServer(t, () => undefined);
  const upstreams = openUpstreams({
    urls: { identity: ready.url, payments: notReady.url, governance: hanging.url, compliance: await refusingUrl() },
    connectionsMax: 2,
    timeoutMs: 10_000,
    circuit: { failureRatio: 1, minimumRequests: 5, windowMs: 60_000 },
    circuitOpenMs: 1_000,
  });
  t.teardown(() => upstreams.close());

  const started = Date.now();
  const report = await upstreamHealthReport(upstreams, createLogger({ service: 'gateway', level: 'silent' }));
  t.ok(Date.now() - started < 1_900, 'the hanging upstream is given up after about a second');
  t.same(report, {
    identity: { status: 'up', circuit: 'closed' },
    payments: { status: 'down', circuit: 'closed' },
    governance: { status: 'down', circuit: 'closed' },
    compliance: { status: 'down', circuit: 'closed' },
  });
  t.equal(ready.seen[0]?.url, '/health/ready');
  const checks = upstreamHealthChecks(upstreams);
  t.same(Object.keys(checks).sort(), ['compliance', 'governance', 'identity', 'payments']);
});

t.test('through the real identity service: register, then read the JWKS', async (t) => {
  const redis = await testRedisPrefix(t);
  const identity = await bootService(t, identityService, { PUBLIC_BASE_URL: 'http://localhost:8080', REDIS_KEY_PREFIX: redis.prefix, NODE_ENV: 'test', NOTIFICATIONS_DIR: t.testdir({}) });
  const identityUrl = await identity.app.listen({ host: '127.0.0.1', port: 0 });
  const { app } = await gateway(t, { identity: identityUrl });

  const email = `gateway-${process.pid}-${Date.now().toString(36)}@example.na`;
  const registered = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password: 'correct horse battery staple 42', fullName: 'Ndapewa Shikongo', phone: '+264811234567', agreedTerms: true },
  });
  t.equal(registered.statusCode, 201, registered.body);
  t.match(registered.json(), { email, status: 'active' });
  t.ok(registered.headers['x-request-id']);

  const again = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: 'x', fullName: 'N', phone: '+264811234567', agreedTerms: true, extra: 1 } });
  t.equal(again.statusCode, 422, 'the service\'s own problems pass through');
  t.match(again.headers['content-type'], /^application\/problem\+json/);

  const jwks = await app.inject('/.well-known/jwks.json');
  t.equal(jwks.statusCode, 200);
  const keys = jwks.json().keys as Array<{ kty: string; alg: string; kid: string }>;
  t.ok(keys.length >= 1);
  t.match(keys[0], { kty: 'EC', alg: 'ES256' });
});

/** Polls a condition that a neighbour process makes true soon (no fixed sleeps in assertions). */
async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
