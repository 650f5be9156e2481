import { remoteJwks, verifyAccessToken, type RemoteJwks } from '@elcorp/auth';
import { createDatabase } from '@elcorp/db';
import { createLogger } from '@elcorp/kit';
import { followEvents } from '@elcorp/messaging';
import { testConfig } from '@elcorp/testing';
import { connect } from '@nats-io/transport-node';
import { decodeProtectedHeader } from 'jose';
import t from 'tap';
import { loadIdentityConfig } from '../../src/config.js';
import type { IdentityDB } from '../../src/infrastructure/db/schema.js';
import { SecretBox } from '../../src/infrastructure/secret-box.js';
import { SigningKeys } from '../../src/infrastructure/signing-keys.js';
import { openIdentity, signedInUser, type Identity } from './client.js';

const prepublishMs = 600_000;

const kidOf = (token: string) => String(decodeProtectedHeader(token).kid);

/**
 * A verifier as the gateway and every service hold one (the defaults: refetch on an unknown kid
 * at most every 30 s, the set kept 5 min), reading identity's real JWKS route. Its clock stands
 * still, so it never refetches after its first fetch: it verifies from the set it has.
 */
function verifierOf(identity: Identity): RemoteJwks {
  const frozenAt = Date.now();
  return remoteJwks({
    url: 'http://identity.internal/.well-known/jwks.json',
    refreshMinIntervalMs: 30_000,
    fetchTimeoutMs: 2_000,
    maxAgeMs: 300_000,
    logger: { warn: () => undefined },
    now: () => frozenAt,
    fetch: async (input) => {
      const answer = await identity.app.inject({ method: 'GET', url: new URL(String(input)).pathname });
      return new Response(answer.body, { status: answer.statusCode, headers: { 'content-type': 'application/json' } });
    },
  });
}

const verifies = (verifier: RemoteJwks, token: string) =>
  verifyAccessToken(token, { keys: verifier.getKey }).then(
    () => true,
    () => false,
  );

t.test('a scheduled rotation publishes the next key before it signs: a verifier that may not refetch yet verifies its first tokens', async (t) => {
  // openIdentity sets SIGNING_KEY_CACHE_SECONDS=0: identity reads its key ring on every use.
  const identity = await openIdentity(t);
  const database = createDatabase<IdentityDB>({ url: testConfig.databaseUrl, schema: identity.schema });
  t.teardown(() => database.close());
  const schedule = new SigningKeys(database.db, new SecretBox(loadIdentityConfig({ NODE_ENV: 'test' }).IDENTITY_KEY_ENCRYPTION_KEY), {
    rotationDays: 30,
    prepublishMs,
  });
  const { device, session } = await signedInUser(identity);
  const oldKid = kidOf(session.accessToken);
  const beforeRotation = verifierOf(identity);
  t.ok(await verifies(beforeRotation, session.accessToken), 'a verifier that fetched before the rotation');

  t.notOk(await schedule.rotateIfDue(), 'a key younger than the rotation period is not replaced');
  await identity.query("UPDATE signing_keys SET created_at = created_at - interval '31 days'");
  t.ok(await schedule.rotateIfDue(), 'the key is due: the next one is made');
  t.notOk(await schedule.rotateIfDue(), 'a waiting key counts as the newest: no third key');

  const published = (await identity.app.inject('/.well-known/jwks.json')).json() as { keys: Array<{ kid: string }> };
  const newKid = published.keys.map((k) => k.kid).find((kid) => kid !== oldKid);
  t.equal(published.keys.length, 2, 'the JWKS lists the next key at once');
  let refreshToken = session.refreshToken;
  const refresh = async () => {
    const answer = await device.call('POST', '/api/v1/auth/refresh', { body: { refreshToken } });
    t.equal(answer.statusCode, 200, 'the refresh is answered');
    refreshToken = answer.json().refreshToken;
    return answer.json().accessToken as string;
  };
  t.equal(kidOf(await refresh()), oldKid, 'during the lead, tokens are still signed by the current key');

  // A verifier whose set was fetched during the lead: every verifier refreshes within JWKS_MAX_AGE_MS.
  const duringLead = verifierOf(identity);
  t.ok(await verifies(duringLead, session.accessToken));

  // The lead passes (the database's clock is what decides it).
  await identity.query(
    `UPDATE signing_keys SET signs_from = signs_from - make_interval(secs => $1), retired_at = retired_at - make_interval(secs => $1)
      WHERE signs_from > now() OR retired_at > now()`,
    [prepublishMs / 1000],
  );
  const fresh = await refresh();
  t.equal(kidOf(fresh), newKid, 'after the lead, new tokens are signed by the next key');
  t.ok(await verifies(duringLead, fresh), 'the verifier knew the key before its first token, without a refetch');
  t.ok(await verifies(duringLead, session.accessToken), 'tokens of the retired key still verify');
  t.notOk(await verifies(beforeRotation, fresh), 'what every verifier met when a key signed the moment it was made');
  t.equal((await device.call('GET', '/api/v1/auth/sessions', { session: { ...session, accessToken: fresh } })).statusCode, 200, 'identity itself serves the new token');

  const after = (await identity.app.inject('/.well-known/jwks.json')).json() as { keys: Array<{ kid: string }> };
  t.same(after.keys.map((k) => k.kid).sort(), [oldKid, newKid].sort(), 'the retired key stays published');
});

t.test("the operator's rotation does not wait: the new key signs at once", async (t) => {
  const identity = await openIdentity(t, { SIGNING_KEY_PREPUBLISH_SECONDS: '600' });
  const { device, session } = await signedInUser(identity);
  const kid = await identity.rotateKeys();
  t.same(await identity.query("SELECT 1 FROM outbox WHERE type = 'identity.signing_key.withdrawn'"), [], 'a rotation that withdraws nothing announces nothing');
  const answer = await device.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
  t.equal(kidOf(answer.json().accessToken), kid);
  t.not(kid, kidOf(session.accessToken));
});

t.test('rotate-keys --withdraw-previous: the leaked key leaves the JWKS and its tokens, cached or not, are refused; the session lives on', async (t) => {
  const identity = await openIdentity(t);
  const { device, session } = await signedInUser(identity);
  const sessions = (accessToken: string) => device.call('GET', '/api/v1/auth/sessions', { session: { ...session, accessToken } });
  t.equal((await sessions(session.accessToken)).statusCode, 200, 'the token is verified once and its verdict cached');

  const leaked = kidOf(session.accessToken);
  const kid = await identity.rotateKeys({ withdrawPrevious: true });
  // Committed with the withdrawal, for the relay: every verifier drops the key when it hears it.
  const announced = await identity.query<{ payload: { subject: unknown; actor: unknown; data: { kids: string[]; current: string } } }>(
    "SELECT payload FROM outbox WHERE type = 'identity.signing_key.withdrawn'",
  );
  t.match(
    announced.map((row) => row.payload),
    [{ subject: { type: 'signing_key', id: kid }, actor: null, data: { kids: [leaked], current: kid } }],
    'one event names the withdrawn key',
  );
  t.equal(announced.length, 1);
  // Reading the JWKS reads identity's key ring again (its cache is 0 s in tests).
  const published = (await identity.app.inject('/.well-known/jwks.json')).json() as { keys: Array<{ kid: string }> };
  t.same(
    published.keys.map((k) => k.kid),
    [kid],
    'only the new key is published',
  );
  const refused = await sessions(session.accessToken);
  t.equal(refused.statusCode, 401, 'the leaked key no longer verifies, though its verdict was cached');
  t.equal(refused.json().code, 'auth.invalid_token');

  const refreshed = await device.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
  t.equal(refreshed.statusCode, 200, 'a refresh needs no access token');
  const fresh = refreshed.json().accessToken as string;
  t.equal(kidOf(fresh), kid);
  t.equal((await sessions(fresh)).statusCode, 200, 'the session goes on under the new key');
});

t.test('a replica holding its key ring for an hour reads it again when the withdrawal is announced', async (t) => {
  const identity = await openIdentity(t, { SIGNING_KEY_CACHE_SECONDS: '3600' });
  const { device, session } = await signedInUser(identity);
  const sessions = () => device.call('GET', '/api/v1/auth/sessions', { session });
  t.equal((await sessions()).statusCode, 200, 'verified once, its verdict cached, the ring read');

  const nats = await connect({ servers: testConfig.natsUrl });
  t.teardown(() => nats.drain());
  let announced: () => void = () => undefined;
  const heard = new Promise<void>((resolve) => (announced = resolve));
  const listening = await followEvents({ nats, names: { root: identity.subjectRoot }, type: 'identity.signing_key.withdrawn', replayMs: 0, logger: createLogger({ service: 'identity-test', level: 'silent' }), onEvent: () => announced() });
  t.teardown(() => listening.stop());

  await identity.rotateKeys({ withdrawPrevious: true });
  await heard; // the relay published it; identity's own follower reads the same message
  let status = (await sessions()).statusCode;
  for (let tries = 1; status === 200 && tries < 50; tries += 1) status = (await sessions()).statusCode;
  t.equal(status, 401, 'refused without waiting out the hour');
});
