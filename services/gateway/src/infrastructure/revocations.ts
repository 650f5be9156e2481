import { redisSessionDenyList, revokedSessionKey, sessionDenySeconds, type ReplayGuard } from '@elcorp/auth';
import { eventSubject, streamName } from '@elcorp/contracts';
import type { Logger } from '@elcorp/kit';
import { EventConsumer, isEventOf, type Delivery, type EventSink, type SettledOutcome, type SinkResult } from '@elcorp/messaging';
import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
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
  /** Observes each revocation settled (its deny-list entry written, or skipped as too old). */
  onSettled(listener: (outcome: SettledOutcome) => void): () => void;
  stop(): Promise<void>;
}

export const revocationDurable = 'gateway-revocations';
const revokedType = 'identity.session.revoked';

/**
 * Writes a batch's deny-list entries at once. The SET is idempotent, so a redelivery needs no
 * inbox (the gateway has no Postgres); a failed write fails only its own event.
 */
function denyListSink(deny: (sessionId: string) => Promise<void>): EventSink {
  const applyOne = async ({ event }: Delivery): Promise<SinkResult> => {
    // The consumer filters on the revoked subject; anything else has nothing to deny.
    if (!isEventOf(event, revokedType)) return { kind: 'applied' };
    // Past the deny window every token of the session has expired: nothing left to refuse.
    if (Date.now() - Date.parse(event.occurredAt) > sessionDenySeconds * 1000) return { kind: 'applied' };
    try {
      await deny(event.data.sessionId);
      return { kind: 'applied' };
    } catch (err) {
      return { kind: 'failed', error: err instanceof Error ? err : new Error(String(err)) };
    }
  };
  return { apply: (batch) => Promise.all(batch.map(applyOne)) };
}

/**
 * Feeds the deny-list from identity.session.revoked events, so a session revoked by any
 * path (logout, admin, password change, refresh reuse, erasure) is refused even if identity's
 * own Redis write was lost. It runs on messaging's consumer loop with a Redis sink. Invalid
 * messages are acked and logged with their stream sequence, not dead-lettered: the gateway has
 * no dead-letter duty for this stream (the event stays in the stream for operators), and a
 * failed write is retried until it lands, never given up.
 *
 * If identity has not created its stream yet, binding is retried in the background.
 */
export async function startRevocationConsumer(deps: RevocationConsumerDeps): Promise<RevocationConsumer> {
  const retryDelayMs = deps.retryDelayMs ?? 2_000;
  const names = { root: deps.subjectRoot };
  const stream = streamName(names, 'IDENTITY');
  const listeners = new Set<(outcome: SettledOutcome) => void>();
  const consumer = new EventConsumer({
    js: jetstream(deps.nats),
    jsm: await jetstreamManager(deps.nats),
    names,
    logger: deps.logger,
    stream,
    durable: revocationDurable,
    filterSubject: eventSubject(names, revokedType),
    sink: denyListSink(deps.deny),
    deadLetters: false,
    retryDelayMs: () => retryDelayMs,
    onSettled: (outcome) => {
      for (const listener of listeners) listener(outcome);
    },
  });
  let stopped = false;
  let started = false;
  let retry: NodeJS.Timeout | undefined;
  let warned = false;

  const attempt = async (): Promise<void> => {
    if (stopped) return;
    try {
      await consumer.start();
      started = true;
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
    onSettled(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      if (started) await consumer.stop();
    },
  };
}
