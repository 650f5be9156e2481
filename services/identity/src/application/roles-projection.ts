import { type DomainEvent, type EventDataOf, type EventType } from '@elcorp/contracts';
import type { Transaction } from '@elcorp/db';
import type { IdentityDB } from '../infrastructure/db/schema.js';

/** Governance owns role assignments; identity keeps a copy to put into new access tokens. */
export const roleEventTypes = ['governance.role.assigned', 'governance.role.revoked'] as const satisfies ReadonlyArray<EventType>;

type Assignment = EventDataOf<'governance.role.assigned'>;

/**
 * Applies one assignment or revocation inside the consumer's transaction (its inbox row
 * commits with it). An assignment to an unknown or erased user is acknowledged and dropped:
 * it can never succeed, and retrying it would only delay the events behind it.
 */
export async function applyRoleEvent(event: DomainEvent, trx: Transaction<IdentityDB>): Promise<void> {
  if (event.type !== 'governance.role.assigned' && event.type !== 'governance.role.revoked') return;
  const { userId, role } = event.data as Assignment;
  if (event.type === 'governance.role.revoked') {
    await trx.deleteFrom('user_roles').where('user_id', '=', userId).where('role', '=', role).execute();
    return;
  }
  // FOR SHARE waits for an erasure in flight (it locks the row FOR UPDATE) and then sees it.
  const user = await trx.selectFrom('users').select('id').where('id', '=', userId).where('status', '=', 'active').forShare().executeTakeFirst();
  if (!user) return;
  await trx
    .insertInto('user_roles')
    .values({ user_id: userId, role })
    .onConflict((oc) => oc.doNothing())
    .execute();
}
