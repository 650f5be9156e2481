import { createEvent, uuidv7 } from '@elcorp/contracts';
import { sql } from '@elcorp/db';
import { fail } from '../domain/errors.js';
import { currencies, formatAmount, type Currency } from '../domain/money.js';
import type { Caller, PaymentsDeps, PaymentsUow } from './ports.js';
import type { Page } from './queries.js';
import { decodeCursor, encodeCursor } from './views.js';

export interface Mismatch {
  accountId: string;
  currency: Currency;
  /** What the entries add up to. */
  ledgerBalance: string;
  /** What the account shows (row plus unfolded deltas). */
  storedBalance: string;
  /** Why it is listed: the two disagree, or a user account is below zero. */
  problem: 'balance_differs' | 'negative_user_balance';
}

export interface ReconciliationView {
  id: string;
  accountsChecked: number;
  mismatches: Mismatch[];
  ledgerBalanced: boolean;
  /** Σ of every account's entries per currency; zero when balanced. */
  currencyTotals: Record<Currency, string>;
  createdAt: string;
}

/**
 * Recomputes every balance from the entries and compares it with what accounts show, and
 * checks that each currency sums to zero. Records and announces the result.
 */
/** The longest one reconciliation may read for. */
const reconciliationTimeoutMs = 10 * 60 * 1000;

export function reconcile(deps: PaymentsDeps, caller: Caller | null): Promise<ReconciliationView> {
  return deps.uow((uow) => reconcileIn(deps, uow, caller));
}

/**
 * The reconciliation inside a unit of work. The recomputation is one statement, so it reads
 * one snapshot: in-flight transfers cannot make a consistent ledger look broken.
 */
async function reconcileIn(deps: PaymentsDeps, uow: PaymentsUow, caller: Caller | null): Promise<ReconciliationView> {
  // Reading every entry outlasts the pool's per-statement limit on a large ledger.
  await sql`SELECT set_config('statement_timeout', ${String(reconciliationTimeoutMs)}, true)`.execute(uow.trx);
  const { rows } = await sql<{ id: string; kind: string; currency: Currency; ledger: bigint; stored: bigint }>`
    SELECT a.id, a.kind, a.currency,
           coalesce((SELECT sum(e.amount) FROM entries e WHERE e.account_id = a.id), 0)::bigint AS ledger,
           (a.balance + coalesce((SELECT sum(d.amount) FROM balance_deltas d WHERE d.account_id = a.id), 0))::bigint AS stored
    FROM accounts a`.execute(uow.trx);
  const totals = Object.fromEntries(currencies.map((c) => [c, 0n])) as Record<Currency, bigint>;
  const mismatches: Mismatch[] = [];
  for (const row of rows) {
    totals[row.currency] += row.ledger;
    const problem = row.ledger !== row.stored ? 'balance_differs' : row.kind === 'user' && row.ledger < 0n ? 'negative_user_balance' : undefined;
    if (problem) {
      mismatches.push({ accountId: row.id, currency: row.currency, ledgerBalance: formatAmount(row.ledger, row.currency), storedBalance: formatAmount(row.stored, row.currency), problem });
    }
  }
  const ledgerBalanced = currencies.every((c) => totals[c] === 0n);
  const id = uuidv7();
  const created = await uow.trx
    .insertInto('reconciliations')
    .values({ id, accounts_checked: rows.length, mismatches: JSON.stringify(mismatches), ledger_balanced: ledgerBalanced, requested_by: caller?.userId ?? null, created_at: deps.now() })
    .returning('created_at')
    .executeTakeFirstOrThrow();
  uow.record(
    createEvent('payments.reconciliation.completed', {
      subject: { type: 'reconciliation', id },
      actor: caller?.actor ?? null,
      data: { reconciliationId: id, accountsChecked: rows.length, mismatches: mismatches.length, ledgerBalanced },
    }),
  );
  const currencyTotals = Object.fromEntries(currencies.map((c) => [c, formatAmount(totals[c], c)])) as Record<Currency, string>;
  return { id, accountsChecked: rows.length, mismatches, ledgerBalanced, currencyTotals, createdAt: created.created_at.toISOString() };
}

export async function listReconciliations(deps: PaymentsDeps, query: { limit: number; cursor?: string | undefined }): Promise<Page<Omit<ReconciliationView, 'currencyTotals'>>> {
  const after = decodeCursor(query.cursor);
  if (after !== undefined && !/^[0-9a-f-]{36}$/.test(after)) fail('payments.invalid_input', 'the cursor is not one this list handed out', 'cursor');
  let select = deps.db.selectFrom('reconciliations').select(['id', 'accounts_checked', 'mismatches', 'ledger_balanced', 'created_at']);
  if (after) select = select.where('id', '<', after);
  const rows = await select.orderBy('id', 'desc').limit(query.limit + 1).execute();
  const items = rows.slice(0, query.limit).map((row) => ({
    id: row.id,
    accountsChecked: row.accounts_checked,
    mismatches: row.mismatches as Mismatch[],
    ledgerBalanced: row.ledger_balanced,
    createdAt: row.created_at.toISOString(),
  }));
  return { items, nextCursor: rows.length > query.limit ? encodeCursor(items.at(-1)!.id) : null };
}

const dailyReconciliationLock = 0x7265636fn;
const dayMs = 24 * 60 * 60 * 1000;

/**
 * The daily run: every replica checks hourly; the advisory lock and the age of the last run
 * make it happen once a day across replicas.
 */
export async function reconcileIfDue(deps: PaymentsDeps): Promise<ReconciliationView | undefined> {
  // Lock, check and run in one read-committed transaction: the check reads after the lock is
  // held, so it sees a run that another replica committed just before releasing the lock.
  return deps.uow(async (uow) => {
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${dailyReconciliationLock}) AS locked`.execute(uow.trx);
    if (!rows[0]?.locked) return undefined;
    const last = await uow.trx.selectFrom('reconciliations').select('created_at').where('requested_by', 'is', null).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    if (last && deps.now().getTime() - last.created_at.getTime() < dayMs) return undefined;
    return reconcileIn(deps, uow, null);
  });
}
