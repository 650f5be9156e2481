import type { DomainEvent } from '@elcorp/contracts';
import type { PaymentsUow } from './ports.js';

/**
 * identity.user.erased: financial records stay (accounts, transfers, entries: regulators
 * need them and double entry needs both sides), but the personal data payments holds goes:
 * the masked name, and the free-text descriptions of the user's transfers and invoices,
 * which may name them or their counterparties. Idempotent.
 */
export async function onUserErased(event: DomainEvent<'identity.user.erased'>, uow: PaymentsUow): Promise<void> {
  const { userId } = event.data;
  const trx = uow.trx;
  await trx
    .insertInto('parties')
    .values({ user_id: userId, display_name: null, erased_at: new Date(event.occurredAt) })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ display_name: null, erased_at: new Date(event.occurredAt) }))
    .execute();
  const accounts = trx.selectFrom('accounts').select('id').where('owner_id', '=', userId);
  // Transfer rows are otherwise locked one at a time (approve, reject, void), so this
  // many-row update cannot close a cycle with them.
  await trx
    .updateTable('transfers')
    .set({ description: null })
    .where((eb) => eb.or([eb('from_account_id', 'in', accounts), eb('to_account_id', 'in', accounts)]))
    .where('description', 'is not', null)
    .execute();
  // Invoice rows in id order, as the overdue sweep locks them, so the two never deadlock.
  const invoices = await trx
    .selectFrom('invoices')
    .select('id')
    .where((eb) => eb.or([eb('payer_id', '=', userId), eb('payee_id', '=', userId)]))
    .orderBy('id')
    .forUpdate()
    .execute();
  if (invoices.length > 0) await trx.updateTable('invoices').set({ description: null }).where('id', 'in', invoices.map((row) => row.id)).execute();
}
