import { generateDeviceKey, signDpopProof, type DeviceKey } from '@elcorp/auth';
import { buildApp, connectRedis, createLogger, type App } from '@elcorp/kit';
import { testConfig, testRedisPrefix } from '@elcorp/testing';
import type { LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { loadGatewayConfig } from '../../src/config.js';
import { registerAdmission } from '../../src/http/admission.js';
import { maxLoginBodyBytes, registerIpRateLimit, registerLoginRateLimit } from '../../src/http/rate-limit.js';
import { registerClientAddress, registerSecurity } from '../../src/http/security.js';
import { redisRateLimiter } from '../../src/infrastructure/rate-limiter.js';

const publicBaseUrl = 'http://localhost:8080';
const logger = createLogger({ service: 'gateway', level: 'silent' });
const redis = await connectRedis(testConfig.redisUrl, logger);
t.teardown(() => redis.quit());

const issuer = await generateKeyPair('ES256', { extractable: true });
const issuerJwk: JWK = { ...(await exportJWK(issuer.publicKey)), kid: 'test-issuer', alg: 'ES256' };

/** The admission plugins in production order, before an echo upstream, with this test's own keys. */
async function gateway(t: Test, env: Record<string, string>, store: Redis = redis): Promise<App> {
  const { prefix } = await testRedisPrefix(t);
  const config = loadGatewayConfig({ PUBLIC_BASE_URL: publicBaseUrl, REDIS_KEY_PREFIX: prefix, RATE_LIMIT_PER_IP_PER_MINUTE: '1000', ...env });
  const limiter = redisRateLimiter(store);
  const app = await buildApp({ service: 'gateway', logger });
  await registerSecurity(app, { config });
  registerClientAddress(app, { config });
  registerAdmission(app, { keys: createLocalJWKSet({ keys: [issuerJwk] }), redis: store, limiter, config });
  app.route({
    method: ['GET', 'POST'],
    url: '/api/v1/*',
    handler: async (request) => ({ clientAddress: request.clientAddress, body: request.body ?? null, buffered: request.bufferedBody?.toString('utf8') ?? null }),
  });
  t.teardown(() => app.close());
  return app;
}

const register = '/api/v1/auth/register';
const anonymous = (app: App, remoteAddress: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: register, remoteAddress, headers, payload: {} });

function limited(t: Test, res: LightMyRequestResponse, windowSeconds: number) {
  t.equal(res.statusCode, 429, res.body);
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal(res.json().code, 'rate_limited');
  const retryAfter = Number(res.headers['retry-after']);
  t.ok(retryAfter >= 1 && retryAfter <= windowSeconds, `Retry-After ${retryAfter} within the window`);
  t.equal(res.headers['ratelimit-remaining'], '0');
  t.equal(res.headers['ratelimit-reset'], res.headers['retry-after']);
}

t.test('per address: the limit, its headers, then 429 with Retry-After', async (t) => {
  const app = await gateway(t, { RATE_LIMIT_PER_IP_PER_MINUTE: '3' });
  for (const remaining of ['2', '1', '0']) {
    const res = await anonymous(app, '203.0.113.5');
    t.equal(res.statusCode, 200);
    t.equal(res.headers['ratelimit-limit'], '3');
    t.equal(res.headers['ratelimit-remaining'], remaining);
    t.ok(Number(res.headers['ratelimit-reset']) <= 60);
  }
  limited(t, await anonymous(app, '203.0.113.5'), 60);
  limited(t, await app.inject({ url: '/openapi.json', remoteAddress: '203.0.113.5' }), 60);
  t.equal((await anonymous(app, '203.0.113.6')).statusCode, 200, 'another address has its own count');
  t.equal((await app.inject({ url: '/health/live', remoteAddress: '203.0.113.5' })).statusCode, 200, 'health probes are never limited');
});

t.test('a spoofed X-Forwarded-For does not escape the limit when no proxy is trusted', async (t) => {
  const app = await gateway(t, { RATE_LIMIT_PER_IP_PER_MINUTE: '3' });
  for (let i = 0; i < 3; i++) t.equal((await anonymous(app, '203.0.113.7', { 'x-forwarded-for': `198.51.100.${i}` })).statusCode, 200);
  limited(t, await anonymous(app, '203.0.113.7', { 'x-forwarded-for': '198.51.100.99' }), 60);
});

t.test('a spoofed X-Forwarded-For does not escape the limit behind a trusted proxy', async (t) => {
  const app = await gateway(t, { RATE_LIMIT_PER_IP_PER_MINUTE: '3', TRUST_PROXY: '10.0.0.0/8' });
  // The proxy (10.0.0.2) appends the address it saw; whatever the client wrote is to its left.
  const viaProxy = (spoofed: string, client: string) => anonymous(app, '10.0.0.2', { 'x-forwarded-for': `${spoofed}, ${client}` });
  for (let i = 0; i < 3; i++) {
    const res = await viaProxy(`192.0.2.${i}`, '198.51.100.20');
    t.equal(res.statusCode, 200);
    t.equal(res.json().clientAddress, '198.51.100.20');
  }
  limited(t, await viaProxy('192.0.2.99', '198.51.100.20'), 60);
  t.equal((await viaProxy('192.0.2.1', '198.51.100.21')).statusCode, 200, 'another client behind the same proxy has its own count');
  limited(t, await anonymous(app, '198.51.100.20', { 'x-forwarded-for': '10.0.0.9' }), 60);
});

t.test('IPv6 clients share a count per /64', async (t) => {
  const app = await gateway(t, { RATE_LIMIT_PER_IP_PER_MINUTE: '2' });
  t.equal((await anonymous(app, '2001:db8:5:6::1')).statusCode, 200);
  t.equal((await anonymous(app, '2001:db8:5:6::2')).statusCode, 200);
  limited(t, await anonymous(app, '2001:db8:5:6:ffff::3'), 60);
  t.equal((await anonymous(app, '2001:db8:5:7::1')).statusCode, 200);
});

t.test('concurrent requests never take more than the limit', async (t) => {
  const app = await gateway(t, { RATE_LIMIT_PER_IP_PER_MINUTE: '5' });
  const answers = await Promise.all(Array.from({ length: 20 }, () => anonymous(app, '203.0.113.8')));
  t.equal(answers.filter((res) => res.statusCode === 200).length, 5);
  t.equal(answers.filter((res) => res.statusCode === 429).length, 15);
});

async function attempt(app: App, device: DeviceKey, remoteAddress: string, body: unknown, path = '/api/v1/auth/login') {
  const proof = await signDpopProof(device, { method: 'POST', url: `${publicBaseUrl}${path}` });
  return app.inject({ method: 'POST', url: path, remoteAddress, headers: { dpop: proof, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
}

t.test('login and MFA attempts are limited per (address, email)', async (t) => {
  const app = await gateway(t, { RATE_LIMIT_LOGIN_PER_HOUR: '2' });
  const device = await generateDeviceKey();
  const body = { email: 'ana@example.na', password: 'a guess' };
  const first = await attempt(app, device, '203.0.113.10', body);
  t.equal(first.statusCode, 200);
  t.same(first.json().body, body, 'the upstream still receives the body');
  t.equal(first.json().buffered, JSON.stringify(body), 'and the proxy can forward the buffered bytes');
  t.equal(first.headers['ratelimit-remaining'], '1', 'the tightest limit is shown');
  t.equal((await attempt(app, device, '203.0.113.10', body, '/api/v1/auth/mfa/sms')).statusCode, 200, 'MFA attempts count alike');
  limited(t, await attempt(app, device, '203.0.113.10', { ...body, email: '  Ana@EXAMPLE.na ' }), 3600);
  limited(t, await attempt(app, device, '203.0.113.10', body, '/api/v1/auth/logi%6E'), 3600);
  t.equal((await attempt(app, device, '203.0.113.10', { ...body, email: 'ben@example.na' })).statusCode, 200, 'another email from the same address');
  t.equal((await attempt(app, device, '203.0.113.11', body)).statusCode, 200, 'the same email from another address');
});

t.test('a login body that is not JSON still counts as an attempt', async (t) => {
  const app = await gateway(t, { RATE_LIMIT_LOGIN_PER_HOUR: '1' });
  const device = await generateDeviceKey();
  const proof = await signDpopProof(device, { method: 'POST', url: `${publicBaseUrl}/api/v1/auth/login` });
  const garbage = await app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '203.0.113.12', headers: { dpop: proof, 'content-type': 'text/plain' }, payload: 'not json' });
  t.equal(garbage.statusCode, 200, 'passed on: the upstream judges the body');
  limited(t, await attempt(app, device, '203.0.113.12', ['no', 'email']), 3600);
});

t.test('a login body over 16 KiB is refused with 413', async (t) => {
  const app = await gateway(t, {});
  const device = await generateDeviceKey();
  const res = await attempt(app, device, '203.0.113.13', { email: 'ana@example.na', password: 'x'.repeat(maxLoginBodyBytes) });
  t.equal(res.statusCode, 413);
  t.equal(res.json().code, 'payload_too_large');
});

t.test('authenticated requests are limited per user, whatever their address', async (t) => {
  const app = await gateway(t, { RATE_LIMIT_PER_USER_PER_MINUTE: '2' });
  const device = await generateDeviceKey();
  const [ana, ben] = [randomUUID(), randomUUID()];
  const asUser = async (userId: string, remoteAddress: string) => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ iss: 'elcorp-identity', aud: 'elcorp', sub: userId, sid: randomUUID(), jti: randomUUID(), iat: now, exp: now + 900, roles: ['user'], cnf: { jkt: device.jkt } })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'test-issuer' })
      .sign(issuer.privateKey);
    const proof = await signDpopProof(device, { method: 'GET', url: `${publicBaseUrl}/api/v1/payments/accounts`, accessToken: token });
    return app.inject({ url: '/api/v1/payments/accounts', remoteAddress, headers: { authorization: `DPoP ${token}`, dpop: proof } });
  };
  t.equal((await asUser(ana, '203.0.113.20')).statusCode, 200);
  const second = await asUser(ana, '203.0.113.21');
  t.equal(second.statusCode, 200);
  t.equal(second.headers['ratelimit-limit'], '2', 'the user limit is the tighter one');
  limited(t, await asUser(ana, '203.0.113.22'), 60);
  t.equal((await asUser(ben, '203.0.113.22')).statusCode, 200, 'another user is not affected');
});

/** A token for `userId` bound to `device`, and a fresh proof for GET `path` with it. */
async function tokenRequest(device: DeviceKey, userId: string, path: string) {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ iss: 'elcorp-identity', aud: 'elcorp', sub: userId, sid: randomUUID(), jti: randomUUID(), iat: now, exp: now + 900, roles: ['user'], cnf: { jkt: device.jkt } })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'test-issuer' })
    .sign(issuer.privateKey);
  const proof = await signDpopProof(device, { method: 'GET', url: `${publicBaseUrl}${path}`, accessToken: token });
  return { token, proof, headers: { authorization: `DPoP ${token}`, dpop: proof } };
}

const proofKeyOf = (proof: string) => {
  const { jti } = JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString('utf8')) as { jti: string };
  return jti;
};

t.test('a token-protected request asks Redis once: address, proof, deny-list and user together', async (t) => {
  const store = await connectRedis(testConfig.redisUrl, logger);
  t.teardown(() => store.quit());
  const sent: string[] = [];
  const send = store.sendCommand.bind(store);
  store.sendCommand = ((command: { name: string }) => {
    sent.push(command.name);
    return send(command as never);
  }) as typeof store.sendCommand;
  const app = await gateway(t, { RATE_LIMIT_PER_IP_PER_MINUTE: '5', RATE_LIMIT_PER_USER_PER_MINUTE: '3' }, store);
  const device = await generateDeviceKey();
  const path = '/api/v1/payments/accounts';
  const first = await tokenRequest(device, randomUUID(), path);
  sent.length = 0;
  const res = await app.inject({ url: path, remoteAddress: '203.0.113.40', headers: first.headers });
  t.equal(res.statusCode, 200);
  t.same(sent, ['evalsha'], 'one command, one round trip');
  t.equal(res.headers['ratelimit-limit'], '3', 'both limits counted: the user limit is the tighter one');
  t.equal(res.headers['ratelimit-remaining'], '2');
  const replayed = await app.inject({ url: path, remoteAddress: '203.0.113.40', headers: first.headers });
  t.equal(replayed.statusCode, 401, 'the proof was recorded by that round trip');
  t.equal(replayed.headers['ratelimit-remaining'], '3', 'a replay counts against the address (5 - 2), not the user');
});

t.test('over its address limit, a token-protected request gets 429 and its proof stays unused', async (t) => {
  const app = await gateway(t, { RATE_LIMIT_PER_IP_PER_MINUTE: '2' });
  const device = await generateDeviceKey();
  const path = '/api/v1/payments/accounts';
  const badToken = { authorization: 'DPoP not-a-token', dpop: (await tokenRequest(device, randomUUID(), path)).proof };
  t.equal((await app.inject({ url: path, remoteAddress: '203.0.113.41', headers: badToken })).statusCode, 401);
  const good = await tokenRequest(device, randomUUID(), path);
  t.equal((await app.inject({ url: path, remoteAddress: '203.0.113.41', headers: good.headers })).statusCode, 200, 'the refused token counted once');
  const next = await tokenRequest(device, randomUUID(), path);
  limited(t, await app.inject({ url: path, remoteAddress: '203.0.113.41', headers: next.headers }), 60);
  limited(t, await app.inject({ url: path, remoteAddress: '203.0.113.41', headers: badToken }), 60);
  const elsewhere = await app.inject({ url: path, remoteAddress: '203.0.113.42', headers: next.headers });
  t.equal(elsewhere.statusCode, 200, `the refused proof (jti ${proofKeyOf(next.proof)}) was not burnt`);
});

t.test('Redis down: other requests pass (fail open), login attempts are refused (fail closed)', async (t) => {
  const down = await connectRedis(testConfig.redisUrl, logger);
  down.disconnect();
  const { prefix } = await testRedisPrefix(t);
  const config = loadGatewayConfig({ REDIS_KEY_PREFIX: prefix, RATE_LIMIT_PER_IP_PER_MINUTE: '1' });
  const limiter = redisRateLimiter(down);
  const app = await buildApp({ service: 'gateway', logger });
  registerClientAddress(app, { config });
  registerIpRateLimit(app, { limiter, config });
  registerLoginRateLimit(app, { limiter, config });
  app.post('/api/v1/*', async () => ({ passed: true }));
  t.teardown(() => app.close());
  for (let i = 0; i < 3; i++) {
    const res = await anonymous(app, '203.0.113.30');
    t.equal(res.statusCode, 200);
    t.equal(res.headers['ratelimit-limit'], undefined, 'no numbers to report');
  }
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'ana@example.na', password: 'x' } });
  t.equal(login.statusCode, 503);
  t.equal(login.json().code, 'service_unavailable');
  t.ok(login.headers['retry-after']);
});

t.test('the script is loaded again after Redis forgets it', async (t) => {
  const { prefix } = await testRedisPrefix(t);
  const limiter = redisRateLimiter(redis);
  t.equal((await limiter.hit(`${prefix}k`, 2, 60_000)).remaining, 1);
  await redis.script('FLUSH');
  const decision = await limiter.hit(`${prefix}k`, 2, 60_000);
  t.same({ allowed: decision.allowed, remaining: decision.remaining }, { allowed: true, remaining: 0 });
  t.equal((await limiter.hit(`${prefix}k`, 2, 60_000)).allowed, false);
  t.ok((await redis.pttl(`${prefix}k`)) <= 60_000, 'the window key expires');
});
