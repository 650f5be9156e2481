import { sql } from '@elcorp/db';
import { fail } from '../domain/errors.js';
import { formatAmount, type Currency } from '../domain/money.js';
import type { TransferStatus } from '../domain/transfers.js';
import { getAccount } from './accounts.js';
import type { Caller, PaymentsDeps } from './ports.js';
import { decodeCursor, encodeCursor, toTransferView, transferColumns, type TransferView } from './views.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function invalidCursor(): never {
  return fail('payments.invalid_input', 'the cursor is not one this list handed out', 'cursor');
}

/** A transfer its parties (and reconcilers) may see; anyone else gets 404. */
export async function getTransfer(deps: PaymentsDeps, caller: Caller, transferId: string): Promise<TransferView> {
  const row = await deps.db
    .selectFrom('transfers')
    .innerJoin('accounts as f', 'f.id', 'transfers.from_account_id')
    .innerJoin('accounts as t', 't.id', 'transfers.to_account_id')
    .select([...transferColumns, 'f.owner_id as from_owner', 't.owner_id as to_owner'])
    .where('transfers.id', '=', transferId)
    .executeTakeFirst();
  const isParty = row && (row.from_owner === caller.userId || row.to_owner === caller.userId || row.initiated_by === caller.userId);
  if (!row || (!isParty && !caller.canReadAll)) return fail('payments.transfer_not_found', 'no such transfer');
  return toTransferView(row);
}

export interface TransferFilter {
  accountId?: string | undefined;
  status?: 'posted' | 'pending_approval' | 'rejected' | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** The caller's transfers, newest first (ids are UUIDv7, so id order is creation order). */
export async function listTransfers(deps: PaymentsDeps, caller: Caller, filter: TransferFilter): Promise<Page<TransferView>> {
  const after = decodeCursor(filter.cursor);
  if (after !== undefined && !uuidPattern.test(after)) invalidCursor();
  const statuses: TransferStatus[] = filter.status === 'rejected' ? ['rejected', 'voided'] : filter.status ? [filter.status] : ['posted', 'pending_approval', 'rejected', 'voided'];
  const mine = deps.db.selectFrom('accounts').select('id').where('owner_id', '=', caller.userId);
  let query = deps.db
    .selectFrom('transfers')
    .select(transferColumns)
    .where((eb) => eb.or([eb('from_account_id', 'in', mine), eb('to_account_id', 'in', mine)]))
    .where('status', 'in', statuses);
  if (filter.accountId) query = query.where((eb) => eb.or([eb('from_account_id', '=', filter.accountId!), eb('to_account_id', '=', filter.accountId!)]));
  if (after) query = query.where('id', '<', after);
  const rows = await query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
  const items = rows.slice(0, filter.limit).map(toTransferView);
  return { items, nextCursor: rows.length > filter.limit ? encodeCursor(items.at(-1)!.id) : null };
}

export interface StatementEntry {
  transferId: string;
  direction: 'debit' | 'credit';
  amount: string;
  balanceAfter: string;
  counterpartyAccountId: string;
  description: string | null;
  postedAt: string;
}

export interface StatementQuery {
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  cursor?: string | undefined;
}

/**
 * The owner's entries in posting order with running balances. balanceAfter is the sum of
 * the account's entries up to and including each one (see the entries table: it is derived,
 * because credits take no lock on their account), so the first item needs the opening sum
 * of everything before the page: one index-only sum, then a running total over the page.
 */
export async function statement(deps: PaymentsDeps, caller: Caller, accountId: string, query: StatementQuery): Promise<Page<StatementEntry>> {
  const account = await getAccount(deps, { ...caller, canReadAll: false }, accountId);
  const afterText = decodeCursor(query.cursor);
  if (afterText !== undefined && !/^\d{1,19}$/.test(afterText)) invalidCursor();
  let page = deps.db
    .selectFrom('entries as e')
    .innerJoin('transfers as t', 't.id', 'e.transfer_id')
    .select(['e.seq', 'e.amount', 'e.transfer_id', 'e.posted_at', 't.from_account_id', 't.to_account_id', 't.description'])
    .where('e.account_id', '=', accountId);
  if (afterText !== undefined) page = page.where('e.seq', '>', BigInt(afterText));
  if (query.from) page = page.where('e.posted_at', '>=', query.from);
  if (query.to) page = page.where('e.posted_at', '<', query.to);
  const rows = await page.orderBy('e.seq').limit(query.limit + 1).execute();
  const shown = rows.slice(0, query.limit);
  const first = shown[0];
  let running = 0n;
  if (first) {
    const opening = await sql<{ total: bigint }>`SELECT coalesce(sum(amount), 0)::bigint AS total FROM entries WHERE account_id = ${accountId} AND seq < ${first.seq}`.execute(deps.db);
    running = opening.rows[0]?.total ?? 0n;
  }
  const currency: Currency = account.currency;
  const items = shown.map((row) => {
    running += row.amount;
    const debit = row.amount < 0n;
    return {
      transferId: row.transfer_id,
      direction: debit ? ('debit' as const) : ('credit' as const),
      amount: formatAmount(debit ? -row.amount : row.amount, currency),
      balanceAfter: formatAmount(running, currency),
      counterpartyAccountId: debit ? row.to_account_id : row.from_account_id,
      description: row.description,
      postedAt: row.posted_at.toISOString(),
    };
  });
  return { items, nextCursor: rows.length > query.limit ? encodeCursor(String(shown.at(-1)!.seq)) : null };
}
