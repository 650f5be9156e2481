import { redisSessionDenyList, revokedSessionKey, sessionDenySeconds, type ReplayGuard } from '@elcorp/auth';
import { eventSubject, parseEvent, streamName, type DomainEvent } from '@elcorp/contracts';
import type { Logger } from '@elcorp/kit';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Redis } from 'ioredis';

/**
 * Credentials the gateway refuses to see again: revoked sessions and replayed DPoP proofs,
 * both in Redis so every replica refuses at once.
 */

// The deny-list's key, lifetime and write are defined once in @elcorp/auth; identity writes
// the same entries. Re-exported under the names this module has always offered.
export { revokedSessionKey, sessionDenySeconds as denySeconds };

export async function denySession(redis: Redis, prefix: string, sessionId: string): Promise<void> {
  await redisSessionDenyList(redis, prefix).deny(sessionId);
}

/** The gateway's own proof namespace: identity keeps another, so a forwarded proof passes both once. */
export function gatewayReplayGuard(redis: Redis, prefix: string): ReplayGuard {
  return async (key, ttlSeconds) => (await redis.set(`${prefix}dpop:gateway:${key}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
}

/**
 * The replay check and the revocation check of one token-protected request in one Redis
 * round trip (one script, so one write on the socket and one answer): the proof's
 * (jkt, jti) is recorded if new, and the session's deny-list entry is read beside it.
 */
const proofAndSessionScript = `
local fresh = redis.call('SET', KEYS[1], '1', 'EX', ARGV[1], 'NX')
local revoked = redis.call('EXISTS', KEYS[2])
if fresh then return {1, revoked} end
return {0, revoked}
`;

type ProofAndSessionRedis = Redis & { gatewayProofAndSession(replayKey: string, revokedKey: string, ttlSeconds: number): Promise<[number, number]> };

export interface ProofAndSessionCheck {
  /** The replay guard verifyDpopProof calls (once, last); it also reads the deny-list. */
  guard: ReplayGuard;
  /** Whether the session was found revoked; known once the guard has run. */
  revoked(): boolean;
}

export function proofAndSessionCheck(redis: Redis, prefix: string, sessionId: string): ProofAndSessionCheck {
  const client = redis as ProofAndSessionRedis;
  if (typeof client.gatewayProofAndSession !== 'function') {
    redis.defineCommand('gatewayProofAndSession', { numberOfKeys: 2, lua: proofAndSessionScript });
  }
  let revoked: boolean | undefined;
  return {
    guard: async (key, ttlSeconds) => {
      const [fresh, denied] = await client.gatewayProofAndSession(`${prefix}dpop:gateway:${key}`, revokedSessionKey(prefix, sessionId), ttlSeconds);
      revoked = denied === 1;
      return fresh === 1;
    },
    revoked: () => {
      if (revoked === undefined) throw new Error('the proof was not checked against Redis');
      return revoked;
    },
  };
}

export interface RevocationConsumerDeps {
  nats: NatsConnection;
  /** Writes the deny-list entry; `denySession` in production, a fake in failure tests. */
  deny: (sessionId: string) => Promise<void>;
  /** EVENT_SUBJECT_ROOT. */
  subjectRoot: string;
  logger: Logger;
  /** Pause before a failed write is tried again, and between attempts to find the stream. */
  retryDelayMs?: number;
}

export interface RevocationConsumer {
  stop(): Promise<void>;
}

export const revocationDurable = 'gateway-revocations';
const revokedType = 'identity.session.revoked';
const maxInFlight = 64;
const nanosPerMs = 1_000_000;

/**
 * Feeds the deny-list from identity.session.revoked events, so a session revoked by any
 * path (logout, admin, password change, refresh reuse, erasure) is refused even if identity's
 * own Redis write was lost. The SET is idempotent, so a redelivery needs no inbox (the
 * gateway has no Postgres). Invalid messages are acked and logged with their stream
 * sequence, not dead-lettered: the gateway has no dead-letter duty for this stream (the
 * event stays in the stream for operators), and retrying a malformed event never succeeds.
 *
 * If identity has not created its stream yet, binding is retried in the background.
 */
export async function startRevocationConsumer(deps: RevocationConsumerDeps): Promise<RevocationConsumer> {
  const retryDelayMs = deps.retryDelayMs ?? 2_000;
  const stream = streamName({ root: deps.subjectRoot }, 'IDENTITY');
  let stopped = false;
  let messages: ConsumerMessages | undefined;
  let loop: Promise<void> = Promise.resolve();
  let retry: NodeJS.Timeout | undefined;
  let warned = false;

  const bind = async (): Promise<void> => {
    const jsm = await jetstreamManager(deps.nats);
    const config = {
      durable_name: revocationDurable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      // One filter subject: the local NATS is 2.9, which has no filter_subjects.
      filter_subject: eventSubject({ root: deps.subjectRoot }, revokedType),
      ack_wait: 30_000 * nanosPerMs,
      max_deliver: -1,
      max_ack_pending: 1_000,
    };
    try {
      await jsm.consumers.add(stream, config);
    } catch (err) {
      if (!/already in use|exists/i.test((err as Error).message)) throw err;
      await jsm.consumers.update(stream, revocationDurable, config);
    }
    const consumer = await jetstream(deps.nats).consumers.get(stream, revocationDurable);
    messages = await consumer.consume({ max_messages: maxInFlight });
    const pulled = messages;
    loop = (async () => {
      for await (const msg of pulled) await handle(msg, deps, retryDelayMs);
    })().catch((err: unknown) => deps.logger.error({ err }, 'revocation consumer stopped unexpectedly'));
  };

  const attempt = async (): Promise<void> => {
    if (stopped) return;
    try {
      await bind();
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
      if (!warned) deps.logger.warn({ stream }, 'identity stream not found yet; revocation events will be read once it exists');
      warned = true;
      retry = setTimeout(() => attempt().catch((e: unknown) => deps.logger.error({ err: e }, 'revocation consumer failed to start')), retryDelayMs);
      retry.unref();
    }
  };
  await attempt();

  return {
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await messages?.close();
      await loop;
    },
  };
}

async function handle(msg: JsMsg, deps: RevocationConsumerDeps, retryDelayMs: number): Promise<void> {
  let event: DomainEvent;
  try {
    event = parseEvent(msg.json());
  } catch (err) {
    deps.logger.warn({ subject: msg.subject, sequence: msg.info.streamSequence, reason: (err as Error).message }, 'invalid revocation event acked and skipped');
    msg.ack();
    return;
  }
  if (event.type !== revokedType) {
    msg.ack();
    return;
  }
  // Past the deny window every token of the session has expired: nothing left to refuse.
  if (Date.now() - Date.parse(event.occurredAt) > sessionDenySeconds * 1000) {
    msg.ack();
    return;
  }
  const { sessionId } = (event as DomainEvent<typeof revokedType>).data;
  try {
    await deps.deny(sessionId);
    msg.ack();
  } catch (err) {
    deps.logger.warn({ err: { message: (err as Error).message }, eventId: event.id }, 'deny-list write failed; the event will come again');
    msg.nak(retryDelayMs);
  }
}
