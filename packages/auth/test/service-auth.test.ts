// The service-side plugin against the real Redis (deny-list) and a real key set.
import { buildApp, createLogger, developmentClientAddressSecret, type App } from '@elcorp/kit';
import { freePort, testConfig, testRedisPrefix } from '@elcorp/testing';
import { Redis } from 'ioredis';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { attestVerifiedProof, cachedTokenVerifier, proofAttestationHeader, redisSessionDenyList, revokedSessionKey, sessionDenySeconds } from '../src/index.js';
import { principalOf, protectedRoutes, publicRoute, serviceAuthConfigShape, type ServiceAuth } from '../src/fastify/index.js';
import { z } from 'zod';

const logger = createLogger({ service: 'auth-test', level: 'silent' });
const { prefix } = await testRedisPrefix(t);
const redis = new Redis(testConfig.redisUrl, { maxRetriesPerRequest: 1 });
t.teardown(() => redis.quit());

const issuer = await generateKeyPair('ES256', { extractable: true });
const issuerJwk: JWK = { ...(await exportJWK(issuer.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
const keys = createLocalJWKSet({ keys: [issuerJwk] });

async function token(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: 'elcorp-identity', aud: 'elcorp', sub: randomUUID(), sid: randomUUID(), jti: randomUUID(), iat: now, exp: now + 900, roles: ['user'], cnf: { jkt: 'jkt-1' }, ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1', ...header }).sign(issuer.privateKey);
}

async function service(auth: ServiceAuth): Promise<App> {
  const app = await buildApp({ service: 'example', logger });
  app.get('/outside', async () => ({ open: true }));
  await app.register(
    protectedRoutes(auth, (scope) => {
      scope.get('/me', async (request) => principalOf(request));
      scope.get('/catalogue', { config: publicRoute }, async (request) => ({ anonymous: request.principal === undefined }));
    }),
    { prefix: '/api/v1/example' },
  );
  t.teardown(() => app.close());
  return app;
}

const denyList = redisSessionDenyList(redis, prefix);
const app = await service({ tokens: cachedTokenVerifier(keys), denyList });
const dpop = (value: string) => ({ authorization: `DPoP ${value}` });

function refusedToken(t: Test, res: { statusCode: number; headers: Record<string, unknown>; json(): { code: string } }) {
  t.equal(res.statusCode, 401);
  t.equal(res.json().code, 'auth.invalid_token');
  t.equal(res.headers['www-authenticate'], 'DPoP error="invalid_token", algs="ES256"');
}

t.test('a verified caller reaches the route with one typed principal', async (t) => {
  const userId = randomUUID();
  const sessionId = randomUUID();
  const res = await app.inject({ url: '/api/v1/example/me', headers: dpop(await token({ sub: userId, sid: sessionId, roles: ['staff'] })) });
  t.equal(res.statusCode, 200, res.body);
  t.same(res.json(), { userId, sessionId, roles: ['staff'], jkt: 'jkt-1' });
});

t.test('strangers get API.md\'s 401, on routed and unrouted paths under the prefix alike', async (t) => {
  refusedToken(t, await app.inject('/api/v1/example/me'));
  refusedToken(t, await app.inject('/api/v1/example/no-such-route'));
  const caller = await app.inject({ url: '/api/v1/example/no-such-route', headers: dpop(await token()) });
  t.equal(caller.statusCode, 404, 'a verified caller learns the route does not exist');
  t.equal((await app.inject('/outside')).statusCode, 200, 'routes outside the protected context are untouched');
});

t.test('a public route opts out visibly; a token is not even read there', async (t) => {
  const res = await app.inject('/api/v1/example/catalogue');
  t.equal(res.statusCode, 200);
  t.same(res.json(), { anonymous: true });
});

t.test('forged, foreign, expired, Bearer-sent and malformed tokens are refused', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const stranger = await generateKeyPair('ES256');
  const foreign = await new SignJWT({ iss: 'elcorp-identity', aud: 'elcorp', sub: randomUUID(), sid: randomUUID(), jti: 'x', iat: now, exp: now + 900, roles: [], cnf: { jkt: 'j' } })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
    .sign(stranger.privateKey);
  const cases: Record<string, Record<string, string>> = {
    'signed by another key': dpop(foreign),
    expired: dpop(await token({ iat: now - 2_000, exp: now - 1_000 })),
    'wrong audience': dpop(await token({ aud: 'someone-else' })),
    'wrong issuer': dpop(await token({ iss: 'elcorp-evil' })),
    'unknown kid': dpop(await token({}, { kid: 'k2' })),
    'sent as Bearer': { authorization: `Bearer ${await token()}` },
    'not a JWT': dpop('nonsense'),
  };
  for (const [name, headers] of Object.entries(cases)) {
    const res = await app.inject({ url: '/api/v1/example/me', headers });
    t.equal(res.statusCode, 401, name);
    t.equal(res.json().code, 'auth.invalid_token', name);
  }
});

t.test('a revoked session is refused at once; the deny-list entry outlives its last token', async (t) => {
  const sessionId = randomUUID();
  const access = await token({ sid: sessionId });
  t.equal((await app.inject({ url: '/api/v1/example/me', headers: dpop(access) })).statusCode, 200, 'verified and cached');
  await denyList.deny(sessionId);
  refusedToken(t, await app.inject({ url: '/api/v1/example/me', headers: dpop(access) }));
  const ttl = await redis.ttl(revokedSessionKey(prefix, sessionId));
  t.ok(ttl > 15 * 60 && ttl <= sessionDenySeconds, `kept ${ttl} s: past the 15 min token lifetime`);
  t.equal(revokedSessionKey('elcorp:', 'abc'), 'elcorp:revoked-session:abc', 'the key identity writes and everyone reads');
});

t.test('Redis unreachable: 503 service_unavailable, never a pass', async (t) => {
  const dead = new Redis(testConfig.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  t.teardown(() => dead.disconnect());
  const broken = await service({ tokens: cachedTokenVerifier(keys), denyList: redisSessionDenyList(dead, prefix) });
  const res = await broken.inject({ url: '/api/v1/example/me', headers: dpop(await token()) });
  t.equal(res.statusCode, 503);
  t.equal(res.json().code, 'service_unavailable');
  t.equal(res.headers['retry-after'], '5');
});

// The gateway reads the deny-list in the script that admits a token request; its signed word
// for this very request stands for the service's own read. Nothing else does.
t.test('a request the gateway attests it admitted is not read against the deny-list again; anything else is', async (t) => {
  const ownSecret = 'a-secret-this-deployment-shares-with-its-gateway';
  // A port nothing listens on: every read fails (the lazy client on the real Redis connected
  // after its first refused command, and later reads succeeded).
  const dead = new Redis(`redis://127.0.0.1:${await freePort()}`, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  t.teardown(() => dead.disconnect());
  // A deny-list that cannot be read: a service that reads it answers 503, one that need not read it answers.
  const behindGateway = async (gatewaySecret: string) => service({ tokens: cachedTokenVerifier(keys), denyList: redisSessionDenyList(dead, prefix), gatewaySecret });
  const access = await token();
  const proof = 'the-proof-the-gateway-verified';
  const attestation = (secret: string, path = '/api/v1/example/me') =>
    attestVerifiedProof(secret, { method: 'GET', path, authorization: `DPoP ${access}`, proof });
  const call = (app: App, attested: string) => app.inject({ url: '/api/v1/example/me', headers: { ...dpop(access), dpop: proof, [proofAttestationHeader]: attested } });

  const own = await behindGateway(ownSecret);
  const admitted = await call(own, attestation(ownSecret));
  t.equal(admitted.statusCode, 200, 'attested under the shared secret: the token is verified, the deny-list not read');
  t.equal(admitted.json().sessionId !== undefined, true);
  t.equal((await call(own, attestation(ownSecret, '/api/v1/example/other'))).statusCode, 503, 'an attestation of another path: the deny-list is read');
  t.equal((await call(own, attestation('another-secret-of-at-least-thirty-two-chars'))).statusCode, 503, 'under another secret: read');
  const expired = await own.inject({ url: '/api/v1/example/me', headers: { ...dpop(await token({ exp: Math.floor(Date.now() / 1000) - 60 })), dpop: proof, [proofAttestationHeader]: attestation(ownSecret) } });
  refusedToken(t, expired); // the token is verified whatever is attested
  const publicSecret = await behindGateway(developmentClientAddressSecret);
  t.equal((await call(publicSecret, attestation(developmentClientAddressSecret))).statusCode, 503, 'under the public development secret nothing is attested: read');
});

t.test('configuration: JWKS_URL defaults to the local identity', async (t) => {
  const config = z.object(serviceAuthConfigShape).parse({});
  t.equal(config.JWKS_URL, 'http://127.0.0.1:8081/.well-known/jwks.json');
  t.equal(config.REDIS_KEY_PREFIX, 'elcorp:');
  t.throws(() => z.object(serviceAuthConfigShape).parse({ JWKS_URL: 'not a url' }));
});
