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
  await trx
    .updateTable('transfers')
    .set({ description: null })
    .where((eb) => eb.or([eb('from_account_id', 'in', accounts), eb('to_account_id', 'in', accounts)]))
    .where('description', 'is not', null)
    .execute();
  await trx
    .updateTable('invoices')
    .set({ description: null })
    .where((eb) => eb.or([eb('payer_id', '=', userId), eb('payee_id', '=', userId)]))
    .execute();
}
