import { sql } from '@elcorp/db';
import { openUnitOfWork } from '@elcorp/messaging';
import { hash } from 'node:crypto';
import { fail, PaymentsError } from '../domain/errors.js';
import type { PaymentsDeps, PaymentsUow } from './ports.js';

/** A stored first answer: what a replay returns, status and body. */
export interface Answer {
  status: number;
  body: unknown;
}

export interface IdempotentRequest {
  userId: string;
  key: string;
  /** Method, route and canonical body: the same key with another request is refused. */
  fingerprint: string;
}

/** Keys are kept at least this long (API.md: at least 24 h). */
export const idempotencyKeyRetentionMs = 24 * 60 * 60 * 1000;

/** 1–255 visible ASCII characters (API.md). */
export const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

/** The transaction-scoped advisory lock that lets one attempt per (user, key) run at a time. */
export function idempotencyLockName(request: Pick<IdempotentRequest, 'userId' | 'key'>): string {
  return `payments.idempotency:${request.userId}:${request.key}`;
}

/** Stored answers created after this are live (replayed); older ones may be replaced. */
export function idempotencyCutoff(now: Date): Date {
  return new Date(now.getTime() - idempotencyKeyRetentionMs);
}

export function fingerprintOf(method: string, route: string, body: unknown): string {
  // One-shot hash: the same SHA-256 hex as createHash().update().digest(), without a Hash object per request.
  return hash('sha256', `${method} ${route}\n${canonicalJson(body)}`, 'hex');
}

/** JSON with object keys sorted, so {"a":1,"b":2} and {"b":2,"a":1} are one request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Runs a money-moving request once per (user, key), in the same transaction as its effect:
 * - a transaction-scoped advisory lock on the key answers a concurrent duplicate with
 *   409 payments.request_in_progress instead of running it twice (released at commit, after
 *   the key row is visible, so the next attempt sees the stored answer);
 * - the stored answer is replayed when the fingerprint matches, else 422 idempotency_key_reused;
 * - an expected refusal (insufficient funds…) is stored too: its writes are rolled back to a
 *   savepoint and its events dropped, so a retry gets the same answer, not a second attempt.
 * Unexpected errors roll everything back and store nothing: the client may retry.
 */
export async function runIdempotent(
  deps: PaymentsDeps,
  request: IdempotentRequest,
  work: (uow: PaymentsUow) => Promise<Answer>,
  refusal: (err: PaymentsError) => Answer,
): Promise<{ answer: Answer; replayed: boolean }> {
  return deps.uow(async (outer) => {
    const trx = outer.trx;
    const cutoff = idempotencyCutoff(deps.now());
    // One round trip: the lock and the stored answer. The row is read on the statement's
    // snapshot, which may predate the commit of an attempt that released the lock a moment
    // ago; the guarded insert below catches exactly that case.
    const { rows } = await sql<{ locked: boolean; fingerprint: string | null; response_status: number | null; response_body: unknown }>`
      SELECT pg_try_advisory_xact_lock(hashtextextended(${idempotencyLockName(request)}, 0)) AS locked,
             k.fingerprint, k.response_status, k.response_body
      FROM (SELECT 1) AS one
      LEFT JOIN idempotency_keys k ON k.user_id = ${request.userId} AND k.key = ${request.key} AND k.created_at > ${cutoff}`.execute(trx);
    const found = rows[0];
    if (!found?.locked) return fail('payments.request_in_progress', 'a request with this Idempotency-Key is still running');
    if (found.fingerprint !== null && found.response_status !== null) {
      if (found.fingerprint !== request.fingerprint) fail('payments.idempotency_key_reused', 'this Idempotency-Key was used with a different request');
      return { answer: { status: found.response_status, body: found.response_body }, replayed: true };
    }
    const answer = await attempt(outer, work, refusal);
    const body = JSON.stringify(answer.body);
    const stored = await trx
      .insertInto('idempotency_keys')
      .values({ user_id: request.userId, key: request.key, fingerprint: request.fingerprint, response_status: answer.status, response_body: body, created_at: deps.now() })
      // Only an expired row of the same key gives way. A live one means another attempt
      // committed after this statement's snapshot: undo everything, the client retries and
      // gets that attempt's answer.
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'key'])
          .doUpdateSet({ fingerprint: request.fingerprint, response_status: answer.status, response_body: body, created_at: deps.now() })
          .where('idempotency_keys.created_at', '<=', cutoff),
      )
      .returning('key')
      .executeTakeFirst();
    if (!stored) fail('payments.request_in_progress', 'another request with this Idempotency-Key has just completed; retry to get its answer');
    return { answer, replayed: false };
  });
}

async function attempt(outer: PaymentsUow, work: (uow: PaymentsUow) => Promise<Answer>, refusal: (err: PaymentsError) => Answer): Promise<Answer> {
  await sql`SAVEPOINT idempotent_work`.execute(outer.trx);
  const { uow, close } = openUnitOfWork(outer.trx);
  try {
    const answer = await work(uow);
    outer.record(...close());
    return answer;
  } catch (err) {
    close();
    if (!(err instanceof PaymentsError)) throw err;
    await sql`ROLLBACK TO SAVEPOINT idempotent_work`.execute(outer.trx);
    return refusal(err);
  }
}

/** Deletes keys past retention, a bounded batch at a time. */
export async function purgeIdempotencyKeys(deps: PaymentsDeps, batchMax = 1000): Promise<number> {
  const cutoff = idempotencyCutoff(deps.now());
  const result = await sql`
    DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE created_at < ${cutoff} LIMIT ${batchMax})`.execute(deps.db);
  return Number(result.numAffectedRows ?? 0n);
}
