import { remoteJwks, signDpopProof } from '@elcorp/auth';
import { followEvents } from '@elcorp/messaging';
import { bootService } from '@elcorp/service-testing';
import { runOperatorCli, testConfig } from '@elcorp/testing';
import { connect } from '@nats-io/transport-node';
import { decodeProtectedHeader } from 'jose';
import t, { type Test } from 'tap';
import { buildGatewayApp } from '../../src/app.js';
import { loadGatewayConfig } from '../../src/config.js';
import { gatewayService } from '../../src/service.js';
import { openUpstreams, upstreamsOptionsFrom } from '../../src/infrastructure/upstreams.js';
import { openIdentityUpstream, publicBaseUrl, type IdentityUpstream } from './identity-upstream.js';

const me = '/api/v1/users/me';
const kidOf = (token: string) => String(decodeProtectedHeader(token).kid);

/** The operator's `rotate-keys --withdraw-previous`, run as a process against this test's identity (schema and subjects). */
async function withdrawPrevious(t: Test, identity: IdentityUpstream['identity']): Promise<void> {
  const run = await runOperatorCli(['rotate-keys', '--withdraw-previous'], {
    DATABASE_URL: testConfig.databaseUrl,
    DATABASE_SCHEMA: identity.schema!,
    EVENT_SUBJECT_ROOT: identity.subjectRoot,
    NODE_ENV: 'test',
  });
  t.equal(run.status, 0, run.stderr);
}

/** How many GET /users/me identity itself has answered (its request histogram). */
async function identityAnswered(identity: IdentityUpstream['identity']): Promise<number> {
  const values = ((await identity.app.metrics.getSingleMetric('http_request_duration_seconds')?.get())?.values ?? []) as Array<{ metricName?: string; labels: Record<string, unknown>; value: number }>;
  return values.filter((v) => v.metricName === 'http_request_duration_seconds_count' && v.labels['route'] === me).reduce((sum, v) => sum + v.value, 0);
}

t.test("a withdrawn signing key: the gateway drops its cached verdicts at its next JWKS fetch and refuses the key's tokens itself", async (t) => {
  // Identity reads its key ring on every use, so its JWKS shows the withdrawal at once.
  const { identity, identityUrl, redisPrefix, redis, logger, signIn } = await openIdentityUpstream(t, { SIGNING_KEY_CACHE_SECONDS: '0' });
  const config = loadGatewayConfig({ PUBLIC_BASE_URL: publicBaseUrl, REDIS_KEY_PREFIX: redisPrefix, IDENTITY_URL: identityUrl });
  // The gateway's JWKS client as production makes it, on a clock the test moves.
  let clock = Date.now();
  const jwks = remoteJwks({
    url: `${identityUrl}/.well-known/jwks.json`,
    refreshMinIntervalMs: config.JWKS_REFRESH_MIN_INTERVAL_MS,
    fetchTimeoutMs: config.JWKS_FETCH_TIMEOUT_MS,
    maxAgeMs: config.JWKS_MAX_AGE_MS,
    logger,
    now: () => clock,
  });
  const upstreams = openUpstreams(upstreamsOptionsFrom(config));
  const gateway = await buildGatewayApp({ config, logger, redisHealth: undefined, redis, upstreams, jwks });
  t.teardown(() => gateway.close());

  const { device, session } = await signIn();
  const get = async () => {
    const proof = await signDpopProof(device, { method: 'GET', url: `${publicBaseUrl}${me}`, accessToken: session.accessToken });
    return gateway.inject({ method: 'GET', url: me, headers: { authorization: `DPoP ${session.accessToken}`, dpop: proof } });
  };

  t.equal((await get()).statusCode, 200, 'verified by the gateway, its verdict cached');
  await withdrawPrevious(t, identity);
  // Reading identity's JWKS reads its key ring again: identity has seen the withdrawal.
  const published = (await identity.app.inject('/.well-known/jwks.json')).json() as { keys: Array<{ kid: string }> };
  t.notOk(published.keys.some((key) => key.kid === kidOf(session.accessToken)), 'identity no longer publishes the key');

  const beforeFetch = await get();
  t.equal(beforeFetch.statusCode, 401, 'until the gateway fetches the set again, identity behind it refuses the token');
  const reached = await identityAnswered(identity);

  clock += config.JWKS_MAX_AGE_MS + 1; // the gateway's set grows old: its next look fetches it again
  t.equal((await get()).statusCode, 401);
  // A made-up kid's verification joins that background fetch: once refused, the new set is in.
  await t.rejects(async () => jwks.getKey({ alg: 'ES256', kid: 'made-up' }, { payload: '', signature: '' }));
  t.notOk(jwks.publishes(kidOf(session.accessToken)), 'the gateway no longer has the key');
  const refused = await get();
  t.equal(refused.statusCode, 401);
  t.equal(refused.json().code, 'auth.invalid_token');
  t.equal(await identityAnswered(identity), reached + 1, 'the last refusal is the gateway\'s own: identity never saw it');
});

t.test('the gateway refuses a withdrawn key\'s tokens as soon as identity announces the withdrawal, without waiting for its next JWKS fetch', async (t) => {
  // Identity keeps its key ring an hour, so only the announcement can make it or the gateway refuse.
  const { identity, identityUrl, redisPrefix, logger, signIn } = await openIdentityUpstream(t, { SIGNING_KEY_CACHE_SECONDS: '3600' });
  // The gateway as it runs, listening on identity's subjects: its follower is wired in service.ts.
  const { app: gateway } = await bootService(t, gatewayService, {
    PUBLIC_BASE_URL: publicBaseUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    INTERNAL_PORT: '0',
    IDENTITY_URL: identityUrl,
    EVENT_SUBJECT_ROOT: identity.subjectRoot,
  });
  const { device, session } = await signIn();
  const get = async (accessToken = session.accessToken) => {
    const proof = await signDpopProof(device, { method: 'GET', url: `${publicBaseUrl}${me}`, accessToken });
    return gateway.inject({ method: 'GET', url: me, headers: { authorization: `DPoP ${accessToken}`, dpop: proof } });
  };
  t.equal((await get()).statusCode, 200, 'verified by the gateway, its verdict cached');

  // The test hears the announcement on the broker as the gateway does.
  const nats = await connect({ servers: testConfig.natsUrl });
  t.teardown(() => nats.drain());
  let announced: (kids: readonly string[]) => void = () => undefined;
  const heard = new Promise<readonly string[]>((resolve) => (announced = resolve));
  const listening = await followEvents({ nats, names: { root: identity.subjectRoot }, type: 'identity.signing_key.withdrawn', replayMs: 0, logger, onEvent: (event) => announced(event.data.kids) });
  t.teardown(() => listening.stop());

  await withdrawPrevious(t, identity);
  // Identity's relay publishes the command's outbox row.
  t.ok((await heard).includes(kidOf(session.accessToken)), 'the withdrawal names the key');
  // The gateway's own delivery of the same message comes with its next reads of the
  // connection: a few requests at most. Its JWKS is minutes from its next fetch.
  let answer = await get();
  for (let tries = 1; answer.statusCode === 200 && tries < 50; tries += 1) answer = await get();
  t.equal(answer.statusCode, 401);
  t.equal(answer.json().code, 'auth.invalid_token');
  // Identity follows the announcement too; the next refusal must not be identity's.
  const reached = await identityAnswered(identity);
  t.equal((await get()).statusCode, 401);
  t.equal(await identityAnswered(identity), reached, 'the gateway refuses the token itself: identity never sees it');

  // The client refreshes onto the new key. The gateway last fetched the JWKS moments ago, yet
  // the announcement named that key, so its first token does not wait out the refetch interval.
  const proof = await signDpopProof(device, { method: 'POST', url: `${publicBaseUrl}/api/v1/auth/refresh` });
  const refreshed = await gateway.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { dpop: proof }, payload: { refreshToken: session.refreshToken } });
  t.equal(refreshed.statusCode, 200, refreshed.body);
  const renewed = refreshed.json().accessToken as string;
  t.not(kidOf(renewed), kidOf(session.accessToken));
  t.equal((await get(renewed)).statusCode, 200, 'the new key\'s token passes at once');
});
