import { redisSessionDenyList } from '@elcorp/auth';
import { connectRedis, createLogger } from '@elcorp/kit';
import { bootService, testTokenIssuer } from '@elcorp/service-testing';
import { testConfig, testRedisPrefix } from '@elcorp/testing';
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { paymentsService } from '../../src/service.js';

// A stand-in for identity's signing key and JWKS; the deny-list is the real Redis under this test's prefix.
const issuer = await testTokenIssuer(t);
const { prefix } = await testRedisPrefix(t);
const { app } = await bootService(t, paymentsService, { JWKS_URL: issuer.jwksUrl, REDIS_KEY_PREFIX: prefix });
const redis = await connectRedis(testConfig.redisUrl, createLogger({ service: 'payments', level: 'silent' }));
t.teardown(() => redis.quit());

const path = '/api/v1/payments/accounts';
const caller = (token: string) => ({ authorization: `DPoP ${token}` });

t.test('a request without a valid access token is refused with API.md\'s 401', async (t) => {
  for (const headers of [{}, caller('not-a-token'), { authorization: `Bearer ${await issuer.sign()}` }, caller(await issuer.sign({ expiresInSeconds: -60 }))]) {
    const res = await app.inject({ url: path, headers });
    t.equal(res.statusCode, 401);
    t.equal(res.json().code, 'auth.invalid_token');
    t.equal(res.headers['www-authenticate'], 'DPoP error="invalid_token", algs="ES256"');
  }
});

t.test('an authenticated caller passes the plugin', async (t) => {
  const res = await app.inject({ url: path, headers: caller(await issuer.sign()) });
  t.equal(res.statusCode, 200, 'past the plugin');
  t.same(res.json(), { items: [], nextCursor: null }, 'a caller payments has not met yet holds no account');
});

t.test('a revoked session is refused at once', async (t) => {
  const sessionId = randomUUID();
  const token = await issuer.sign({ sessionId });
  t.not((await app.inject({ url: path, headers: caller(token) })).statusCode, 401);
  await redisSessionDenyList(redis, prefix).deny(sessionId);
  t.equal((await app.inject({ url: path, headers: caller(token) })).statusCode, 401);
});

t.test('its own health and metrics stay outside authentication', async (t) => {
  t.equal((await app.inject('/health/ready')).statusCode, 200);
  t.equal((await app.inject('/metrics')).statusCode, 200);
});
