// Retries, error bodies and proofs against a tiny local server that answers what each test needs.
import { accessTokenHash } from '@elcorp/auth';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { ElcorpApiError, ElcorpClient, ElcorpNetworkError, MemoryTokenStore } from '../src/index.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (request: Seen, response: ServerResponse, index: number) => void;

async function localServer(t: Test, handler: Handler): Promise<{ baseUrl: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const entry = { method: request.method!, url: request.url!, headers: request.headers, body };
      seen.push(entry);
      handler(entry, response, seen.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())).then(() => undefined));
  t.teardown(() => server.closeAllConnections());
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function problem(response: ServerResponse, status: number, code: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/problem+json', 'x-request-id': `req-${code}`, ...headers });
  response.end(JSON.stringify({ type: `https://errors.elcorp.na/${code}`, title: 'Unavailable', status, code, detail: 'try later', instance: '/x' }));
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

t.test('503: GET is retried (at most `retries`, honouring Retry-After), POST and PATCH never', async (t) => {
  const { baseUrl, seen } = await localServer(t, (_req, res) => problem(res, 503, 'unavailable', { 'retry-after': '0' }));
  const client = new ElcorpClient({ baseUrl, retries: 2 });

  const get = await client.request('GET', '/api/v1/things', { auth: false }).catch((err: unknown) => err);
  t.type(get, ElcorpApiError);
  t.match(get, { status: 503, code: 'unavailable', retryAfterSeconds: 0, requestId: 'req-unavailable', detail: 'try later' });
  t.equal(seen.length, 3, 'one attempt and two retries');
  const jtis = seen.map((s) => decodeJwt(String(s.headers['dpop'])).jti);
  t.equal(new Set(jtis).size, 3, 'each attempt has a fresh proof');

  seen.length = 0;
  await t.rejects(client.request('POST', '/api/v1/things', { auth: false, body: { a: 1 } }), { name: 'ElcorpApiError', status: 503 });
  t.equal(seen.length, 1, 'POST is sent once');
  seen.length = 0;
  await t.rejects(client.request('PATCH', '/api/v1/things', { auth: false, body: { a: 1 } }), { name: 'ElcorpApiError', status: 503 });
  t.equal(seen.length, 1, 'PATCH is sent once');
  seen.length = 0;
  await t.rejects(client.request('DELETE', '/api/v1/things/1', { auth: false }), { name: 'ElcorpApiError', status: 503 });
  t.equal(seen.length, 3, 'DELETE is retried');
});

t.test('a retry that succeeds; a Retry-After too long is not waited out; 4xx is not retried', async (t) => {
  const { baseUrl, seen } = await localServer(t, (req, res, index) => {
    if (req.url === '/flaky') return index === 0 ? problem(res, 502, 'bad_gateway') : json(res, 200, { ok: true });
    if (req.url === '/busy') return problem(res, 503, 'unavailable', { 'retry-after': '3600' });
    if (req.url === '/dated') return problem(res, 504, 'timeout', { 'retry-after': new Date(Date.now() + 120_000).toUTCString() });
    return problem(res, 429, 'rate_limited', { 'retry-after': '1' });
  });
  const client = new ElcorpClient({ baseUrl });
  t.same(await client.request('GET', '/flaky', { auth: false }), { ok: true });
  t.equal(seen.length, 2);

  seen.length = 0;
  await t.rejects(client.request('GET', '/busy', { auth: false }), { name: 'ElcorpApiError', status: 503, retryAfterSeconds: 3600 });
  t.equal(seen.length, 1, 'an hour is longer than the client waits: the caller decides');
  seen.length = 0;
  const dated = (await client.request('GET', '/dated', { auth: false }).catch((err: unknown) => err)) as ElcorpApiError;
  t.ok(dated.retryAfterSeconds! > 100 && dated.retryAfterSeconds! <= 120, `HTTP-date Retry-After: ${dated.retryAfterSeconds}`);
  t.equal(seen.length, 1);
  seen.length = 0;
  await t.rejects(client.request('GET', '/limited', { auth: false }), { status: 429, code: 'rate_limited', retryAfterSeconds: 1 });
  t.equal(seen.length, 1);
});

t.test('network errors: GET retried, POST not; a timeout says so', async (t) => {
  const { baseUrl, seen } = await localServer(t, (req, res) => {
    if (req.url === '/hang') return; // never answers
    res.socket?.destroy();
  });
  const client = new ElcorpClient({ baseUrl, retries: 1, timeoutMs: 300 });
  const get = await client.request('GET', '/reset', { auth: false }).catch((err: unknown) => err);
  t.type(get, ElcorpNetworkError);
  t.match(get, { timedOut: false, message: /GET \/reset/ });
  t.equal(seen.length, 2, 'GET tried twice');
  seen.length = 0;
  await t.rejects(client.request('POST', '/reset', { auth: false, body: {} }), ElcorpNetworkError);
  t.equal(seen.length, 1, 'POST tried once');

  const noRetry = new ElcorpClient({ baseUrl, retries: 0, timeoutMs: 200 });
  const hung = await noRetry.request('GET', '/hang', { auth: false }).catch((err: unknown) => err);
  t.match(hung, { name: 'ElcorpNetworkError', timedOut: true, message: /no answer within 200 ms/ });

  const refused = new ElcorpClient({ baseUrl: 'http://127.0.0.1:1', retries: 0 });
  await t.rejects(refused.me(), { name: 'ElcorpNetworkError', timedOut: false });
});

t.test('error bodies that are not problem details still become ElcorpApiError', async (t) => {
  const { baseUrl } = await localServer(t, (req, res) => {
    if (req.url === '/html') {
      res.writeHead(502, { 'content-type': 'text/html' });
      return res.end('<html><body>Bad Gateway</body></html>');
    }
    if (req.url === '/empty') {
      res.writeHead(500);
      return res.end();
    }
    if (req.url === '/moved') {
      res.writeHead(302, { location: 'https://elsewhere.example/' });
      return res.end();
    }
    return json(res, 400, { message: 'no code here', errors: 'not a list' });
  });
  const client = new ElcorpClient({ baseUrl, retries: 0 });
  await t.rejects(client.request('GET', '/html', { auth: false }), { status: 502, code: 'unknown', title: 'HTTP 502', detail: '<html><body>Bad Gateway</body></html>' });
  const empty = (await client.request('GET', '/empty', { auth: false }).catch((err: unknown) => err)) as ElcorpApiError;
  t.match(empty, { status: 500, code: 'unknown', detail: undefined, requestId: undefined, errors: undefined });
  t.equal(empty.message, '500 unknown: HTTP 500');
  await t.rejects(client.request('GET', '/json', { auth: false }), { status: 400, code: 'unknown' });
  await t.rejects(client.request('GET', '/moved', { auth: false }), { status: 302, code: 'unknown' }, 'a redirect is not followed');
});

t.test('proofs: htu without query, htm, ath with the token; headers; bodies', async (t) => {
  const { baseUrl, seen } = await localServer(t, (req, res) => {
    if (req.url === '/text') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('plain words');
    }
    if (req.url === '/broken') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"half":');
    }
    if (req.method === 'DELETE') {
      res.writeHead(204);
      return res.end();
    }
    return json(res, 201, { id: 'x1' });
  });
  const tokenStore = new MemoryTokenStore();
  await tokenStore.save({ accessToken: 'access-1', refreshToken: 'refresh-1', sessionId: 's1', expiresAt: Date.now() + 600_000 });
  const client = new ElcorpClient({ baseUrl: `${baseUrl}/`, tokenStore });

  const created = await client.request<{ id: string }>('post', '/api/v1/payments/transfers', {
    body: { amount: { amount: '1.00', currency: 'NAD' } },
    query: { dryRun: false, note: 'a b', skip: undefined, none: null },
    idempotencyKey: 'key-123',
  });
  t.same(created, { id: 'x1' });
  const sent = seen[0]!;
  t.equal(sent.method, 'POST');
  t.equal(sent.url, '/api/v1/payments/transfers?dryRun=false&note=a+b', 'undefined and null query values are left out');
  t.equal(sent.headers['authorization'], 'DPoP access-1');
  t.equal(sent.headers['idempotency-key'], 'key-123');
  t.equal(sent.headers['content-type'], 'application/json');
  t.same(JSON.parse(sent.body), { amount: { amount: '1.00', currency: 'NAD' } });
  const proof = String(sent.headers['dpop']);
  t.match(decodeProtectedHeader(proof), { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } });
  t.notOk((decodeProtectedHeader(proof).jwk as Record<string, unknown>)['d'], 'no private part in the proof');
  t.match(decodeJwt(proof), { htm: 'POST', htu: `${baseUrl}/api/v1/payments/transfers`, ath: accessTokenHash('access-1'), jti: String, iat: Number });

  t.equal(await client.request('DELETE', '/api/v1/things/1'), undefined, 'an empty answer is undefined');
  t.equal(await client.request('GET', '/text', { auth: false }), 'plain words');
  await t.rejects(client.request('GET', '/broken', { auth: false }), { name: 'ElcorpError', message: /malformed JSON/ });
  const anonymous = seen.at(-1)!;
  t.notOk(anonymous.headers['authorization'], 'auth: false sends no token');
  t.notOk(decodeJwt(String(anonymous.headers['dpop']))['ath'], 'and no ath');
  t.equal(seen.length, 4);

  await t.rejects(client.request('POST', '/x', { idempotencyKey: 'with space' }), TypeError);
  await t.rejects(client.request('POST', '/x', { idempotencyKey: '' }), TypeError);
  await t.rejects(client.request('GET', 'relative'), TypeError);
  t.equal(seen.length, 4, 'refused before sending');
});

t.test('options are checked', async (t) => {
  t.throws(() => new ElcorpClient({ baseUrl: 'not a url' }), TypeError);
  t.throws(() => new ElcorpClient({ baseUrl: 'http://x.example/?q=1' }), TypeError);
  t.throws(() => new ElcorpClient({ baseUrl: 'http://x.example', timeoutMs: 0 }), RangeError);
  t.throws(() => new ElcorpClient({ baseUrl: 'http://x.example', retries: 11 }), RangeError);
  t.throws(() => new ElcorpClient({ baseUrl: 'http://x.example', retries: 1.5 }), RangeError);
  t.equal(new ElcorpClient({ baseUrl: 'https://api.example/base//' }).baseUrl, 'https://api.example/base');
});
