import type { DomainEvent } from '@elcorp/contracts';
import type { UnitOfWork } from '@elcorp/messaging';
import type { IdentityDB } from '../infrastructure/db/schema.js';

/*
 * Governance owns role assignments; identity keeps a copy to put into new access tokens.
 * Each handler runs inside the consumer's batch transaction (its inbox row commits with it).
 *
 * The two types arrive through two durables (one per type), so an assignment and a revocation
 * of the same role published moments apart are not ordered against each other; making the
 * projection order-proof needs the assignment's time stored with the row (a later migration).
 */

/**
 * An assignment to an unknown or erased user is acknowledged and dropped: it can never
 * succeed, and retrying it would only delay the events behind it.
 */
export async function applyRoleAssigned(event: DomainEvent<'governance.role.assigned'>, { trx }: UnitOfWork<IdentityDB>): Promise<void> {
  const { userId, role } = event.data;
  // FOR SHARE waits for an erasure in flight (it locks the row FOR UPDATE) and then sees it.
  const user = await trx.selectFrom('users').select('id').where('id', '=', userId).where('status', '=', 'active').forShare().executeTakeFirst();
  if (!user) return;
  await trx
    .insertInto('user_roles')
    .values({ user_id: userId, role })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function applyRoleRevoked(event: DomainEvent<'governance.role.revoked'>, { trx }: UnitOfWork<IdentityDB>): Promise<void> {
  const { userId, role } = event.data;
  await trx.deleteFrom('user_roles').where('user_id', '=', userId).where('role', '=', role).execute();
}
