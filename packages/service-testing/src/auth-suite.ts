import { redisSessionDenyList } from '@elcorp/auth';
import { createEvent, eventSubject } from '@elcorp/contracts';
import { connectRedis, createLogger, type App, type RuntimeConfig, type ServiceDefinition } from '@elcorp/kit';
import { testConfig, testRedisPrefix } from '@elcorp/testing';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import { bootService } from './boot.js';
import { testTokenIssuer, type TestTokenIssuer } from './token-issuer.js';

export interface AuthSuiteOptions<C extends RuntimeConfig, DB> {
  definition: ServiceDefinition<C, DB>;
  /** A protected route every signed-in caller reaches past the plugin. */
  path: string;
  /** What the service answers a signed-in caller on `path`: the service's own assertions. */
  admitted(t: Test, context: AuthSuiteContext): Promise<void>;
}

export interface AuthSuiteContext {
  app: App;
  issuer: TestTokenIssuer;
  /** The headers a caller holding `token` sends (the gateway forwards the DPoP scheme). */
  caller(token: string): Record<string, string>;
}

/**
 * What every service behind the shared auth plugin must show: API.md's 401 for a missing,
 * malformed, wrong-scheme or expired token; a signed-in caller admitted; a revoked session
 * refused at once through the real Redis deny-list; health and metrics outside
 * authentication; a withdrawn signing key refused once identity announces it on the broker. A stand-in for identity signs the tokens and serves the JWKS.
 */
export async function serviceAuthSuite<C extends RuntimeConfig, DB>(t: Test, options: AuthSuiteOptions<C, DB>): Promise<void> {
  const issuer = await testTokenIssuer(t);
  const { prefix } = await testRedisPrefix(t);
  const { app, subjectRoot } = await bootService(t, options.definition, { JWKS_URL: issuer.jwksUrl, REDIS_KEY_PREFIX: prefix });
  const redis = await connectRedis(testConfig.redisUrl, createLogger({ service: options.definition.name, level: 'silent' }));
  t.teardown(() => redis.quit());
  const caller = (token: string) => ({ authorization: `DPoP ${token}` });
  const path = options.path;

  t.test("a request without a valid access token is refused with API.md's 401", async (t) => {
    const refused = [{}, caller('not-a-token'), { authorization: `Bearer ${await issuer.sign()}` }, caller(await issuer.sign({ expiresInSeconds: -60 }))];
    for (const headers of refused) {
      const res = await app.inject({ url: path, headers });
      t.equal(res.statusCode, 401);
      t.equal(res.json().code, 'auth.invalid_token');
      t.equal(res.headers['www-authenticate'], 'DPoP error="invalid_token", algs="ES256"');
    }
  });

  t.test('a signed-in caller is admitted', (t) => options.admitted(t, { app, issuer, caller }));

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

  // Last: the issuer's key stays withdrawn for the rest of the suite.
  t.test("a signing key identity withdraws is refused as soon as identity announces it, cached verdicts included", async (t) => {
    const token = await issuer.sign();
    t.not((await app.inject({ url: path, headers: caller(token) })).statusCode, 401, 'verified, its verdict cached');
    const nats = await connect({ servers: testConfig.natsUrl });
    t.teardown(() => nats.drain());
    const event = createEvent('identity.signing_key.withdrawn', { subject: { type: 'signing_key', id: randomUUID() }, actor: null, data: { kids: [issuer.kid], current: randomUUID() } });
    await jetstream(nats).publish(eventSubject({ root: subjectRoot }, event.type), JSON.stringify(event), { msgID: event.id });
    // The service reads the message from its own connection within a few requests; its JWKS
    // is minutes from its next fetch, and the key set it would fetch still lists the key.
    let status = (await app.inject({ url: path, headers: caller(token) })).statusCode;
    for (let tries = 1; status !== 401 && tries < 50; tries += 1) status = (await app.inject({ url: path, headers: caller(token) })).statusCode;
    t.equal(status, 401);
    t.equal((await app.inject({ url: path, headers: caller(await issuer.sign()) })).statusCode, 401, 'a new token of the key too');
  });
}
