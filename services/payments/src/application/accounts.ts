import { createEvent, uuidv7, type DomainEvent } from '@elcorp/contracts';
import { sql } from '@elcorp/db';
import { fail } from '../domain/errors.js';
import { formatAmount, type Currency } from '../domain/money.js';
import { maskName } from '../domain/names.js';
import type { Caller, PaymentsDeps, PaymentsUow } from './ports.js';
import { accountQuery, toAccountView, type AccountView } from './views.js';

/**
 * Opens the user's account in `currency` unless one exists; the event only when it was
 * opened now. Returns the account id and whether it is new.
 */
async function openIfAbsent(uow: PaymentsUow, ownerId: string, currency: Currency, actor: Caller['actor'] | null): Promise<{ id: string; opened: boolean }> {
  const id = uuidv7();
  const inserted = await uow.trx
    .insertInto('accounts')
    .values({ id, kind: 'user', owner_id: ownerId, currency })
    .onConflict((oc) => oc.columns(['owner_id', 'currency']).where('kind', '=', 'user').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return { id: '', opened: false };
  uow.record(createEvent('payments.account.opened', { subject: { type: 'account', id }, actor, data: { accountId: id, ownerId, currency } }));
  return { id, opened: true };
}

/**
 * identity.user.registered: a NAD account, and the masked name receipts show. Idempotent:
 * a redelivered or replayed event opens nothing twice.
 */
export async function onUserRegistered(event: DomainEvent<'identity.user.registered'>, uow: PaymentsUow): Promise<void> {
  const { userId, fullName } = event.data;
  await uow.trx.insertInto('parties').values({ user_id: userId, display_name: maskName(fullName), erased_at: null }).onConflict((oc) => oc.column('user_id').doNothing()).execute();
  await openIfAbsent(uow, userId, 'NAD', null);
}

/** POST /accounts: another currency; 409 payments.account_exists when the user has it. */
export async function openAccount(deps: PaymentsDeps, caller: Caller, currency: Currency): Promise<AccountView> {
  const opened = await deps.uow((uow) => openIfAbsent(uow, caller.userId, currency, caller.actor));
  if (!opened.opened) fail('payments.account_exists', `you already have a ${currency} account`, 'currency');
  return getAccount(deps, caller, opened.id);
}

export async function listAccounts(deps: PaymentsDeps, caller: Caller): Promise<{ items: AccountView[]; nextCursor: null }> {
  const rows = await accountQuery(deps).where('accounts.owner_id', '=', caller.userId).where('accounts.kind', '=', 'user').orderBy('accounts.created_at').orderBy('accounts.id').limit(10).execute();
  return { items: rows.map(toAccountView), nextCursor: null };
}

/** The owner's, or any for a reconciler; everyone else learns nothing (404). */
export async function getAccount(deps: PaymentsDeps, caller: Caller, accountId: string): Promise<AccountView> {
  const row = await accountQuery(deps).where('accounts.id', '=', accountId).executeTakeFirst();
  if (!row || (row.owner_id !== caller.userId && !caller.canReadAll)) return fail('payments.account_not_found', 'no such account');
  return toAccountView(row);
}

/** Balance at a past instant: the sum of the account's entries posted up to then. */
export async function balanceAt(deps: PaymentsDeps, caller: Caller, accountId: string, at: Date): Promise<{ accountId: string; currency: Currency; balance: string; at: string }> {
  const account = await getAccount(deps, caller, accountId);
  const { rows } = await sql<{ total: bigint }>`
    SELECT coalesce(sum(amount), 0)::bigint AS total FROM entries WHERE account_id = ${accountId} AND posted_at <= ${at}`.execute(deps.db);
  return { accountId, currency: account.currency, balance: formatAmount(rows[0]?.total ?? 0n, account.currency), at: at.toISOString() };
}
