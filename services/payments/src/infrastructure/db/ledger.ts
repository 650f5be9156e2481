import { prepared, sql, type Kysely, type RawBuilder, type Transaction } from '@elcorp/db';
import type { AccountKind } from '../../domain/accounts.js';
import type { PaymentsDB } from './schema.js';

type Trx = Transaction<PaymentsDB>;

/**
 * The ledger's money movements. See migrations/0001_ledger.sql for the design: debits of
 * user accounts are conditional updates of the account row (funds check and debit in one
 * statement); credits and treasury movements are appended deltas that lock nothing.
 */

/** Debits `amount`; false when a user account cannot cover it (nothing changed then). */
export async function debit(trx: Trx, account: { id: string; kind: AccountKind }, amount: bigint): Promise<boolean> {
  if (account.kind === 'treasury') {
    await appendDelta(trx, account.id, -amount);
    return true;
  }
  const direct = await sql`UPDATE accounts SET balance = balance - ${amount} WHERE id = ${account.id} AND balance - held >= ${amount}`.execute(trx);
  if (direct.numAffectedRows === 1n) return true;
  const folded = await lockAndFold(trx, account.id);
  if (folded.balance - folded.held < amount) return false;
  await sql`UPDATE accounts SET balance = balance - ${amount} WHERE id = ${account.id}`.execute(trx);
  return true;
}

/** Reserves `amount` of a user account for a transfer awaiting approval; false when short. */
export async function hold(trx: Trx, accountId: string, amount: bigint): Promise<boolean> {
  const direct = await sql`UPDATE accounts SET held = held + ${amount} WHERE id = ${accountId} AND balance - held >= ${amount}`.execute(trx);
  if (direct.numAffectedRows === 1n) return true;
  const folded = await lockAndFold(trx, accountId);
  if (folded.balance - folded.held < amount) return false;
  await sql`UPDATE accounts SET held = held + ${amount} WHERE id = ${accountId}`.execute(trx);
  return true;
}

/** An approved hold leaves the account: held and balance drop together, so available is unchanged. */
export async function settleHold(trx: Trx, accountId: string, amount: bigint): Promise<void> {
  await sql`UPDATE accounts SET held = held - ${amount}, balance = balance - ${amount} WHERE id = ${accountId}`.execute(trx);
}

export async function releaseHold(trx: Trx, accountId: string, amount: bigint): Promise<void> {
  await sql`UPDATE accounts SET held = held - ${amount} WHERE id = ${accountId}`.execute(trx);
}

/** Credits lock no account row, so a hot merchant or the treasury never serialises its payers. */
export async function credit(trx: Trx, accountId: string, amount: bigint): Promise<void> {
  await appendDelta(trx, accountId, amount);
}

/** The two immutable entries of a posted transfer; called after the debit so seq follows its lock. */
export async function appendEntries(trx: Trx, transfer: { id: string; fromAccountId: string; toAccountId: string; amount: bigint }): Promise<void> {
  await trx
    .insertInto('entries')
    .values([
      { account_id: transfer.fromAccountId, transfer_id: transfer.id, amount: -transfer.amount },
      { account_id: transfer.toAccountId, transfer_id: transfer.id, amount: transfer.amount },
    ])
    .execute();
}

export interface NewTransfer {
  id: string;
  kind: 'transfer' | 'deposit';
  from: { id: string; kind: AccountKind };
  toAccountId: string;
  amount: bigint;
  currency: string;
  description: string | null;
  reference: string | null;
  invoiceId: string | null;
  initiatedBy: string;
  at: Date;
}

/**
 * Posts a transfer in one statement (one round trip on the hot path): the funds check and
 * debit, the transfer row, the lock-free credit and both entries. Every insert selects from
 * the debit's output, so nothing is written when the debit does not happen, and the entries'
 * seq is drawn after the debit's row lock. Returns false when the stored row looked short;
 * the caller then folds and retries on the slow path (`debit`).
 */
export async function postInOneStatement(trx: Trx, t: NewTransfer): Promise<boolean> {
  const debitSql =
    t.from.kind === 'treasury'
      ? sql`INSERT INTO balance_deltas (account_id, amount) VALUES (${t.from.id}, ${-t.amount}) RETURNING account_id AS id`
      : sql`UPDATE accounts SET balance = balance - ${t.amount} WHERE id = ${t.from.id} AND balance - held >= ${t.amount} RETURNING id`;
  const { rows } = await sql<{ seq: bigint }>`
    WITH debit AS (${debitSql}),
    transfer AS (
      INSERT INTO transfers (id, kind, status, from_account_id, to_account_id, amount, currency, description, reference, invoice_id, initiated_by, created_at, posted_at)
      SELECT ${t.id}::uuid, ${t.kind}, 'posted', ${t.from.id}::uuid, ${t.toAccountId}::uuid, ${t.amount}::bigint, ${t.currency}, ${t.description}::text,
             ${t.reference}::text, ${t.invoiceId}::uuid, ${t.initiatedBy}::uuid, ${t.at}::timestamptz, ${t.at}::timestamptz FROM debit
      RETURNING id
    ),
    credit AS (INSERT INTO balance_deltas (account_id, amount) SELECT ${t.toAccountId}::uuid, ${t.amount}::bigint FROM transfer)
    INSERT INTO entries (account_id, transfer_id, amount)
    SELECT ${t.from.id}::uuid, id, ${-t.amount}::bigint FROM transfer UNION ALL SELECT ${t.toAccountId}::uuid, id, ${t.amount}::bigint FROM transfer
    RETURNING seq`.execute(trx);
  return rows.length === 2;
}

async function appendDelta(trx: Trx, accountId: string, amount: bigint): Promise<void> {
  await trx.insertInto('balance_deltas').values({ account_id: accountId, amount }).execute();
}

/**
 * Locks the account row first, then moves its committed deltas into it. Always row before
 * deltas, and only one account row per transaction: no lock cycle can form.
 */
export async function lockAndFold(trx: Trx, accountId: string): Promise<{ balance: bigint; held: bigint }> {
  await sql`SELECT 1 FROM accounts WHERE id = ${accountId} FOR NO KEY UPDATE`.execute(trx);
  const { rows } = await sql<{ balance: bigint; held: bigint }>`
    WITH folded AS (DELETE FROM balance_deltas WHERE account_id = ${accountId} RETURNING amount)
    UPDATE accounts SET balance = balance + coalesce((SELECT sum(amount) FROM folded), 0)::bigint
    WHERE id = ${accountId} RETURNING balance, held`.execute(trx);
  const row = rows[0];
  if (!row) throw new Error(`account ${accountId} vanished while folding`);
  return row;
}

/** The balance as clients see it: the row plus its unfolded deltas. */
export const currentBalance = sql<bigint>`(accounts.balance + coalesce((SELECT sum(d.amount) FROM balance_deltas d WHERE d.account_id = accounts.id), 0)::bigint)`;

/**
 * Folds the deltas of accounts that collected many (a merchant that only receives, the
 * treasury), so reading a balance stays a short sum. Each account in its own short
 * transaction; returns how many accounts it folded.
 */
export async function compactDeltas(db: Kysely<PaymentsDB>, options: { minDeltas: number; accountsMax: number }): Promise<number> {
  const { rows } = await sql<{ account_id: string }>`
    SELECT account_id FROM balance_deltas GROUP BY account_id HAVING count(*) >= ${options.minDeltas} LIMIT ${options.accountsMax}`.execute(db);
  for (const { account_id } of rows) await db.transaction().execute((trx) => lockAndFold(trx, account_id));
  return rows.length;
}

export interface IdempotentPosting {
  transferId: string;
  userId: string;
  fromAccountId: string;
  toAccountId: string;
  amount: bigint;
  currency: string;
  description: string | null;
  at: Date;
  /** The Idempotency-Key: its advisory-lock name, the key, the request's fingerprint, the answer to store. */
  lockName: string;
  key: string;
  fingerprint: string;
  responseStatus: number;
  responseBody: string;
  /** Stored answers newer than this are live. */
  cutoff: Date;
}

export interface IdempotentPostingResult {
  /** The key's advisory lock was free (else another attempt with the key is running). */
  locked: boolean;
  /** The transfer, its entries, the outbox rows and the answer were written. */
  posted: boolean;
}

/** Thrown when the statement undid itself: a live answer of the key committed after its snapshot. */
export class PostingRaced extends Error {}

/** A posting statement's failure as thrown: PostingRaced when payments_abort_in_progress() undid it (EP409). */
const racedAs = (message: string) => (err: unknown): never => {
  throw (err as { code?: unknown }).code === 'EP409' ? new PostingRaced(message, { cause: err }) : err;
};

export async function postIdempotentTransfer(trx: Trx, p: IdempotentPosting, outbox: (when: RawBuilder<unknown>) => RawBuilder<unknown>): Promise<IdempotentPostingResult> {
  // pg sends every parameter as untyped text: the instants go as ISO strings formatted once each,
  // rather than five Date parameters formatted by the driver one by one (local time and offset).
  const at = p.at.toISOString();
  const cutoff = p.cutoff.toISOString();
  // Prepared once per connection: planning this statement cost Postgres more than running it.
  // The destination must be a user account; `kind <> 'treasury'` says so (kind is one of the
  // two, by CHECK) without implying `kind = 'user'`, the predicate of accounts_owner_currency_idx:
  // on tables not yet analysed the planner took that partial index for d, filtering every
  // account of the currency by id, instead of the primary key's one row.
  const { rows } = await prepared(sql<{ locked: boolean; posted: boolean }>`
    WITH claim AS MATERIALIZED (
      SELECT pg_try_advisory_xact_lock(hashtextextended(${p.lockName}, 0)) AS locked,
             EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.user_id = ${p.userId} AND k.key = ${p.key} AND k.created_at > ${cutoff}) AS answered
    ),
    debit AS (
      UPDATE accounts AS a SET balance = a.balance - ${p.amount}
      FROM claim, accounts AS d
      WHERE claim.locked AND NOT claim.answered
        AND a.id = ${p.fromAccountId} AND a.owner_id = ${p.userId} AND a.currency = ${p.currency} AND a.status = 'active' AND a.balance - a.held >= ${p.amount}
        AND d.id = ${p.toAccountId} AND d.kind <> 'treasury' AND d.currency = ${p.currency} AND d.status = 'active' AND d.id <> a.id
      RETURNING a.id
    ),
    posted AS (
      INSERT INTO transfers (id, kind, status, from_account_id, to_account_id, amount, currency, description, initiated_by, created_at, posted_at)
      SELECT ${p.transferId}::uuid, 'transfer', 'posted', id, ${p.toAccountId}::uuid, ${p.amount}::bigint, ${p.currency}, ${p.description}::text,
             ${p.userId}::uuid, ${at}::timestamptz, ${at}::timestamptz FROM debit
      RETURNING id
    ),
    credit AS (INSERT INTO balance_deltas (account_id, amount) SELECT ${p.toAccountId}::uuid, ${p.amount}::bigint FROM posted),
    entries AS (
      INSERT INTO entries (account_id, transfer_id, amount)
      SELECT ${p.fromAccountId}::uuid, id, ${-p.amount}::bigint FROM posted UNION ALL SELECT ${p.toAccountId}::uuid, id, ${p.amount}::bigint FROM posted
    ),
    outbox AS (${outbox(sql`EXISTS (SELECT 1 FROM posted)`)}),
    answer AS (
      INSERT INTO idempotency_keys (user_id, key, fingerprint, response_status, response_body, created_at)
      SELECT ${p.userId}::uuid, ${p.key}, ${p.fingerprint}, ${p.responseStatus}::int, ${p.responseBody}::jsonb, ${at}::timestamptz FROM posted
      ON CONFLICT (user_id, key) DO UPDATE
        SET fingerprint = excluded.fingerprint, response_status = excluded.response_status, response_body = excluded.response_body, created_at = excluded.created_at
        WHERE idempotency_keys.created_at <= ${cutoff}
      RETURNING key
    )
    SELECT locked, posted FROM (
      SELECT (SELECT locked FROM claim) AS locked, EXISTS (SELECT 1 FROM posted) AS posted, EXISTS (SELECT 1 FROM answer) AS answered
    ) AS outcome
    WHERE CASE WHEN posted AND NOT answered THEN payments_abort_in_progress() ELSE true END`)
    .execute(trx)
    .catch(racedAs('the Idempotency-Key was answered meanwhile'));
  const row = rows[0];
  if (!row) throw new Error('the posting statement returned no row');
  return { locked: row.locked, posted: row.posted };
}

/** One posting of a batch: the transfer's and its key's facts, and the id of the event announcing it. */
export interface BatchedPosting extends IdempotentPosting {
  eventId: string;
}

/**
 * Posts several plain transfers in one statement: one round trip, one commit and one WAL flush
 * for all (the per-statement costs, executor start, commit, protocol, were about half of a lone
 * posting's Postgres CPU). Each transfer keeps its own outcome, in input order, as
 * postIdempotentTransfer would give it alone: a key already answered or locked, or a source that
 * looks short, leaves that transfer unposted and the others posted, and only the events of posted
 * transfers are written (`outbox` gets a condition naming `e.id`).
 *
 * The caller gives distinct sources and distinct (user, key)s: an account row is updated once per
 * statement, so a second debit of one source would not post (it would fall back, never move twice).
 * The sources are locked in id order before any is debited, so two batches (or a batch and another
 * replica's) never wait on each other in a cycle; a lone posting locks one row. One instant bounds
 * every key's live answers (the batch's earliest cutoff): a key that expired between two requests'
 * instants looks live, which sends that transfer to the general path, never posts it twice.
 * Throws PostingRaced, with nothing written, when any key was answered after the statement's
 * snapshot: the caller posts each transfer alone then.
 */
export async function postIdempotentTransfers(
  trx: Trx,
  postings: ReadonlyArray<BatchedPosting>,
  outbox: (when: RawBuilder<unknown>) => RawBuilder<unknown>,
): Promise<IdempotentPostingResult[]> {
  const column = <T>(of: (p: BatchedPosting) => T) => postings.map(of);
  const cutoff = new Date(Math.min(...postings.map((p) => p.cutoff.getTime()))).toISOString();
  // Arrays, so that the statement's text and plan are the same for every batch size but the outbox's VALUES.
  const { rows } = await prepared(sql<{ ord: bigint; locked: boolean; posted: boolean }>`
    WITH input AS MATERIALIZED (
      SELECT * FROM unnest(
        ${column((p) => p.transferId)}::uuid[], ${column((p) => p.userId)}::uuid[], ${column((p) => p.fromAccountId)}::uuid[], ${column((p) => p.toAccountId)}::uuid[],
        ${column((p) => p.amount)}::bigint[], ${column((p) => p.currency)}::text[], ${column((p) => p.description)}::text[], ${column((p) => p.at.toISOString())}::timestamptz[],
        ${column((p) => p.lockName)}::text[], ${column((p) => p.key)}::text[], ${column((p) => p.fingerprint)}::text[], ${column((p) => p.responseStatus)}::int[],
        ${column((p) => p.responseBody)}::text[], ${column((p) => p.eventId)}::uuid[]
      ) WITH ORDINALITY AS i (transfer_id, user_id, from_id, to_id, amount, currency, description, at, lock_name, key, fingerprint, response_status, response_body, event_id, ord)
    ),
    claim AS MATERIALIZED (
      SELECT i.*, pg_try_advisory_xact_lock(hashtextextended(i.lock_name, 0)) AS locked, live.answered IS NOT NULL AS answered
      FROM input i
      -- A lateral probe per key, by primary key. As EXISTS, the plan prepared while the table was
      -- small hashed every live key of the table once per batch, a seq scan that grew with it.
      LEFT JOIN LATERAL (
        SELECT true AS answered FROM idempotency_keys k WHERE k.user_id = i.user_id AND k.key = i.key AND k.created_at > ${cutoff} LIMIT 1
      ) AS live ON true
      ORDER BY i.ord
    ),
    sources AS MATERIALIZED (
      SELECT s.id FROM accounts s WHERE s.id = ANY(${column((p) => p.fromAccountId)}::uuid[]) ORDER BY s.id FOR NO KEY UPDATE
    ),
    debit AS (
      UPDATE accounts AS a SET balance = a.balance - c.amount
      FROM claim c, sources s, accounts AS d
      WHERE c.locked AND NOT c.answered AND s.id = c.from_id
        AND a.id = c.from_id AND a.owner_id = c.user_id AND a.currency = c.currency AND a.status = 'active' AND a.balance - a.held >= c.amount
        AND d.id = c.to_id AND d.kind <> 'treasury' AND d.currency = c.currency AND d.status = 'active' AND d.id <> a.id
      RETURNING c.ord
    ),
    posted AS (
      INSERT INTO transfers (id, kind, status, from_account_id, to_account_id, amount, currency, description, initiated_by, created_at, posted_at)
      SELECT c.transfer_id, 'transfer', 'posted', c.from_id, c.to_id, c.amount, c.currency, c.description, c.user_id, c.at, c.at
      FROM debit JOIN claim c ON c.ord = debit.ord
      RETURNING id
    ),
    done AS (SELECT c.* FROM posted JOIN claim c ON c.transfer_id = posted.id),
    credit AS (INSERT INTO balance_deltas (account_id, amount) SELECT to_id, amount FROM done),
    entries AS (
      INSERT INTO entries (account_id, transfer_id, amount)
      SELECT from_id, transfer_id, -amount FROM done UNION ALL SELECT to_id, transfer_id, amount FROM done
    ),
    outbox AS (${outbox(sql`e.id IN (SELECT event_id FROM done)`)}),
    answer AS (
      INSERT INTO idempotency_keys (user_id, key, fingerprint, response_status, response_body, created_at)
      SELECT user_id, key, fingerprint, response_status, response_body::jsonb, at FROM done
      ON CONFLICT (user_id, key) DO UPDATE
        SET fingerprint = excluded.fingerprint, response_status = excluded.response_status, response_body = excluded.response_body, created_at = excluded.created_at
        WHERE idempotency_keys.created_at <= ${cutoff}
      RETURNING key
    )
    SELECT c.ord, c.locked, EXISTS (SELECT 1 FROM done WHERE done.ord = c.ord) AS posted FROM claim c
    WHERE CASE WHEN (SELECT count(*) FROM done) <> (SELECT count(*) FROM answer) THEN payments_abort_in_progress() ELSE true END
    ORDER BY c.ord`)
    .execute(trx)
    .catch(racedAs('an Idempotency-Key of the batch was answered meanwhile'));
  if (rows.length !== postings.length) throw new Error(`the batch posting statement returned ${rows.length} rows for ${postings.length} postings`);
  return rows.map((row) => ({ locked: row.locked, posted: row.posted }));
}
