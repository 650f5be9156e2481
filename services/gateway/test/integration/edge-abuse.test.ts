// Issue 10's edge weaknesses, reproduced against the real gateway and the real identity.
import { generateDeviceKey, signDpopProof, type DeviceKey } from '@elcorp/auth';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http, { type IncomingMessage } from 'node:http';
import t, { type Test } from 'tap';
import { listeningGateway, openIdentityUpstream, password, publicBaseUrl } from './identity-upstream.js';

const upstream = await openIdentityUpstream(t);

/** The gateway in front of identity, with limits no test here reaches unless it sets them. */
const listening = (t: Test, env: Record<string, string> = {}) =>
  listeningGateway(t, upstream, { RATE_LIMIT_PER_IP_PER_MINUTE: '100000', RATE_LIMIT_LOGIN_PER_HOUR: '1000', ...env });

const json = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const newUser = (overrides: Record<string, unknown> = {}) => ({ email: `edge-${randomUUID()}@example.na`, password, fullName: 'Ndapewa Shikongo', phone: '+264811234567', agreedTerms: true, ...overrides });

/** A body announced but sent a few bytes at a time, never finished while the test waits. */
async function trickle(url: string): Promise<number> {
  const request = http.request(`${url}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '500' } });
  request.on('error', () => undefined);
  request.write('{"email":');
  const [response] = (await once(request, 'response')) as [IncomingMessage];
  response.resume();
  request.destroy();
  return response.statusCode ?? 0;
}

async function circuitOf(internalUrl: string): Promise<string> {
  const report = (await (await fetch(`${internalUrl}/health/upstreams`)).json()) as { upstreams: Record<string, { circuit: string }> };
  return report.upstreams['identity']!.circuit;
}

t.test('an anonymous client sending trickled and bad bodies cannot open identity\'s circuit; honest users keep getting answers', async (t) => {
  const { url, internalUrl } = await listening(t, {
    UPSTREAM_TIMEOUT_MS: '4000',
    UPSTREAM_CIRCUIT_MIN_REQUESTS: '3',
    UPSTREAM_CIRCUIT_FAILURE_RATIO: '0.5',
  });
  const statuses: number[] = [];
  for (let round = 0; round < 3; round += 1) {
    statuses.push(await trickle(url));
    for (const fullName of ['Nul\u0000Byte', 'Lone \ud800 surrogate', 'x'.repeat(100_000)]) {
      statuses.push((await fetch(`${url}/api/v1/auth/register`, json(newUser({ fullName })))).status);
    }
    statuses.push((await fetch(`${url}/api/v1/auth/register`, json('['.repeat(5000) + ']'.repeat(5000)))).status);
    const honest = await fetch(`${url}/api/v1/auth/register`, json(newUser()));
    t.equal(honest.status, 201, `round ${round}: an honest registration is answered`);
  }
  t.ok(statuses.every((status) => status >= 400 && status < 500), `every attack got a 4xx: ${[...new Set(statuses)].join(', ')}`);
  t.ok(statuses.includes(408), 'the trickled body is the client\'s 408');
  t.equal(await circuitOf(internalUrl), 'closed', 'identity\'s circuit is still closed');
  t.equal((await fetch(`${url}/.well-known/jwks.json`)).status, 200, 'the JWKS is served');
});

t.test('a NUL byte or a lone surrogate in fullName is 422 naming the field, not 500', async (t) => {
  const { url } = await listening(t);
  for (const fullName of ['Ndapewa\u0000', '\udc00Ndapewa']) {
    const res = await fetch(`${url}/api/v1/auth/register`, json(newUser({ fullName })));
    t.equal(res.status, 422);
    t.match(res.headers.get('content-type'), /^application\/problem\+json/);
    t.match(await res.json(), { code: 'validation_failed', errors: [{ path: 'body.fullName' }] });
  }
});

t.test('a 300-character path segment is 414 problem+json with a stable code', async (t) => {
  const { url } = await listening(t);
  for (const path of [`/api/v1/users/${'a'.repeat(300)}`, `/api/v1/auth/sessions/${'b'.repeat(300)}`]) {
    const res = await fetch(`${url}${path}`, { method: 'DELETE' });
    t.ok(res.status === 414 || res.status === 401, `${path.slice(0, 30)}…: ${res.status}`);
    t.match(res.headers.get('content-type'), /^application\/problem\+json/);
  }
  const direct = await fetch(`${upstream.identityUrl}/api/v1/auth/sessions/${'b'.repeat(300)}`, { method: 'DELETE' });
  t.equal(direct.status, 414);
  t.match(await direct.json(), { code: 'uri_too_long', status: 414 });
});

async function login(url: string, device: DeviceKey, body: string, headers: Record<string, string> = {}) {
  const proof = await signDpopProof(device, { method: 'POST', url: `${publicBaseUrl}/api/v1/auth/login` });
  return fetch(`${url}/api/v1/auth/login`, json(body, { dpop: proof, ...headers }));
}

t.test('a BOM before a login body is refused by the gateway, as identity refuses it: both read a body the same way', async (t) => {
  const { url } = await listening(t);
  const user = newUser();
  t.equal((await fetch(`${url}/api/v1/auth/register`, json(user))).status, 201);
  const device = await generateDeviceKey();
  const bommed = `\uFEFF${JSON.stringify({ email: user.email, password: 'wrong password 1234' })}`;
  const viaGateway = await login(url, device, bommed);
  t.equal(viaGateway.status, 400);
  t.match(await viaGateway.json(), { code: 'malformed_body', detail: /byte order mark/ });
  const direct = await login(upstream.identityUrl, device, bommed);
  t.equal(direct.status, 400, 'identity refuses it too: no parser skips the mark');
  const ok = await login(url, device, JSON.stringify({ email: user.email, password }));
  t.equal(ok.status, 200, 'no failure was counted against the account');
});

t.test('identity records the client address the gateway forwards, and believes it only when the gateway signed it', async (t) => {
  const { url } = await listening(t, { TRUST_PROXY: '127.0.0.1' });
  const user = newUser();
  t.equal((await fetch(`${url}/api/v1/auth/register`, json(user))).status, 201);
  const device = await generateDeviceKey();
  const signedIn = await login(url, device, JSON.stringify({ email: user.email, password }), { 'x-forwarded-for': '203.0.113.77' });
  t.equal(signedIn.status, 200);
  const { accessToken } = (await signedIn.json()) as { accessToken: string };

  const forged = await login(upstream.identityUrl, device, JSON.stringify({ email: user.email, password }), { 'x-elcorp-client-address': '198.51.100.66', 'x-elcorp-client-address-signature': `${Math.floor(Date.now() / 1000)}.${'A'.repeat(43)}` });
  t.equal(forged.status, 200);

  const sessionsUrl = `${publicBaseUrl}/api/v1/auth/sessions`;
  const proof = await signDpopProof(device, { method: 'GET', url: sessionsUrl, accessToken });
  const sessions = await fetch(`${url}/api/v1/auth/sessions`, { headers: { authorization: `DPoP ${accessToken}`, dpop: proof, 'x-forwarded-for': '203.0.113.77' } });
  t.equal(sessions.status, 200);
  const ips = ((await sessions.json()) as { items: Array<{ ip: string | null }> }).items.map((session) => session.ip).sort();
  t.same(ips, ['127.0.0.1', '203.0.113.77'], 'the real client through the gateway; the forged header straight to identity is ignored');
});
