import { signDpopProof, type DeviceKey } from '@elcorp/auth';
import { createEvent, eventSubject, streamName, type DomainEvent } from '@elcorp/contracts';
import { buildApp, type App } from '@elcorp/kit';
import { settled, testConfig, testNatsPrefix } from '@elcorp/testing';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { LightMyRequestResponse } from 'fastify';
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { openIdentityUpstream, publicBaseUrl, type Session } from './identity-upstream.js';
import { loadGatewayConfig } from '../../src/config.js';
import { registerAuthentication } from '../../src/http/authenticate.js';
import { remoteJwks } from '@elcorp/auth';
import { denySeconds, denySession, revocationDurable, revokedSessionKey, startRevocationConsumer, type RevocationConsumer, type RevocationConsumerDeps } from '../../src/infrastructure/revocations.js';


// One identity for the file: it issues the tokens and serves the JWKS the gateway fetches.
const { identity, identityUrl, redisPrefix, redis, logger, signIn } = await openIdentityUpstream(t);
const nats = await connect({ servers: testConfig.natsUrl });
t.teardown(() => nats.close());
const js = jetstream(nats);
const names = { root: identity.subjectRoot };

const config = loadGatewayConfig({ PUBLIC_BASE_URL: publicBaseUrl, REDIS_KEY_PREFIX: redisPrefix, IDENTITY_URL: identityUrl });
const app: App = await buildApp({ service: 'gateway', logger });
registerAuthentication(app, {
  keys: remoteJwks({ url: `${identityUrl}/.well-known/jwks.json`, refreshMinIntervalMs: 30_000, fetchTimeoutMs: 2_000, maxAgeMs: 300_000, logger }).getKey,
  redis,
  config,
});
app.get('/api/v1/users/me', async (request) => ({ principal: request.principal }));
t.teardown(() => app.close());



/** A fresh authenticated request, to the gateway or (for logout) to identity itself. */
async function authed(target: App, device: DeviceKey, session: Session, method: 'GET' | 'POST', path: string): Promise<LightMyRequestResponse> {
  const proof = await signDpopProof(device, { method, url: `${publicBaseUrl}${path}`, accessToken: session.accessToken });
  return target.inject({ method, url: path, headers: { authorization: `DPoP ${session.accessToken}`, dpop: proof } });
}

const me = '/api/v1/users/me';

function revocation(sessionId: string, occurredAt = new Date()): DomainEvent {
  return createEvent('identity.session.revoked', {
    subject: { type: 'session', id: sessionId },
    actor: null,
    data: { userId: randomUUID(), sessionId, reason: 'admin' },
    occurredAt,
  });
}

async function publish(root: string, payload: string | DomainEvent, msgID = randomUUID()) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  await js.publish(eventSubject({ root }, 'identity.session.revoked'), body, { msgID });
}

async function consumer(t: Test, overrides: Partial<RevocationConsumerDeps> = {}) {
  const started = await startRevocationConsumer({
    nats,
    deny: (sessionId) => denySession(redis, redisPrefix, sessionId),
    subjectRoot: identity.subjectRoot,
    logger,
    retryDelayMs: 100,
    ...overrides,
  });
  t.teardown(() => started.stop());
  return started;
}

t.test('logout at identity: the very next request through the gateway is refused', async (t) => {
  const { device, session } = await signIn();
  t.equal((await authed(app, device, session, 'GET', me)).statusCode, 200);
  t.equal((await authed(identity.app, device, session, 'POST', '/api/v1/auth/logout')).statusCode, 204);
  const res = await authed(app, device, session, 'GET', me);
  t.equal(res.statusCode, 401, 'refused at once, not at expiry');
  t.equal(res.json().code, 'auth.invalid_token');
  t.equal(res.headers['www-authenticate'], 'DPoP error="invalid_token", algs="ES256"');
});

/** Resolves once the consumer has settled the event with this id (written or skipped). */
const settledEvent = (started: RevocationConsumer, id: string) => settled(started, (o) => o.kind === 'applied' && o.event.id === id);

t.test('a published identity.session.revoked event deny-lists the session', async (t) => {
  const started = await consumer(t);
  const { device, session } = await signIn();
  t.equal((await authed(app, device, session, 'GET', me)).statusCode, 200, 'identity has not revoked it');
  const event = revocation(session.sessionId);
  const denied = settledEvent(started, event.id);
  await publish(identity.subjectRoot, event);
  await denied;
  const res = await authed(app, device, session, 'GET', me);
  t.equal(res.statusCode, 401);
  t.equal(res.json().code, 'auth.invalid_token');
  const ttl = await redis.ttl(revokedSessionKey(redisPrefix, session.sessionId));
  t.ok(ttl > 0 && ttl <= denySeconds, `deny-listed until the session's tokens expire (ttl ${ttl})`);
  const info = await (await jetstreamManager(nats)).consumers.info(streamName(names, 'IDENTITY'), revocationDurable);
  t.equal(info.config.filter_subject, `${identity.subjectRoot}.identity.session.revoked`);
  t.equal(info.config.ack_policy, AckPolicy.Explicit);
});

t.test('invalid messages are acked and skipped; the consumer carries on', async (t) => {
  const started = await consumer(t);
  const sessionId = randomUUID();
  const valid = revocation(sessionId);
  const denied = settledEvent(started, valid.id);
  await publish(identity.subjectRoot, 'not json');
  await publish(identity.subjectRoot, JSON.stringify({ ...revocation(randomUUID()), data: { sessionId: 'not-a-uuid' } }));
  await publish(identity.subjectRoot, valid);
  await denied;
  t.equal(await redis.exists(revokedSessionKey(redisPrefix, sessionId)), 1, 'the valid event behind them was written');
  // The valid event's ack is confirmed, and the server handles acks in order: the invalid ones are settled too.
  const info = await (await jetstreamManager(nats)).consumers.info(streamName(names, 'IDENTITY'), revocationDurable);
  t.same({ pending: info.num_pending, unacked: info.num_ack_pending }, { pending: 0, unacked: 0 }, 'nothing left to deliver or to ack');
});

t.test('events older than the deny window are acked without a write', async (t) => {
  const started = await consumer(t);
  const [old, fresh] = [randomUUID(), randomUUID()];
  const [oldEvent, freshEvent] = [revocation(old, new Date(Date.now() - (denySeconds + 60) * 1000)), revocation(fresh)];
  const both = settled(started, (o) => o.kind === 'applied' && [oldEvent.id, freshEvent.id].includes(o.event.id), { count: 2 });
  await publish(identity.subjectRoot, oldEvent);
  await publish(identity.subjectRoot, freshEvent);
  await both;
  t.equal(await redis.exists(revokedSessionKey(redisPrefix, fresh)), 1, 'the fresh one is deny-listed');
  t.equal(await redis.exists(revokedSessionKey(redisPrefix, old)), 0, 'its tokens have all expired');
});

t.test('a failed deny-list write is retried until it lands', async (t) => {
  let failures = 2;
  const started = await consumer(t, {
    deny: async (sessionId) => {
      if (failures-- > 0) throw new Error('redis away');
      await denySession(redis, redisPrefix, sessionId);
    },
  });
  const sessionId = randomUUID();
  const event = revocation(sessionId);
  const denied = settledEvent(started, event.id);
  await publish(identity.subjectRoot, event);
  await denied;
  t.equal(await redis.exists(revokedSessionKey(redisPrefix, sessionId)), 1);
  t.equal(failures, -1, 'written on the third delivery');
});

t.test('started before identity made its stream, the consumer binds once it exists', async (t) => {
  const { prefix } = await testNatsPrefix(t);
  const root = prefix.toLowerCase();
  const started = await consumer(t, { subjectRoot: root });
  const jsm = await jetstreamManager(nats);
  await jsm.streams.add({ name: streamName({ root }, 'IDENTITY'), subjects: [`${root}.identity.>`], max_bytes: 1024 * 1024 });
  const sessionId = randomUUID();
  const event = revocation(sessionId);
  const denied = settledEvent(started, event.id);
  await publish(root, event);
  await denied;
  t.equal(await redis.exists(revokedSessionKey(redisPrefix, sessionId)), 1);
});
