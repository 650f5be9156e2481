import { createEvent, type Actor } from '@elcorp/contracts';
import type { UnitOfWork } from '@elcorp/messaging';
import { governanceErrors } from '../domain/errors.js';
import { adminRole, guardRevocation } from '../domain/roles.js';
import { grantRole, lockRole, holdersIncluding, revokeRoleRow, rolesOfUser } from '../infrastructure/db/roles.repository.js';
import type { GovernanceDB } from '../infrastructure/db/schema.js';
import { actorOf } from './common.js';
import type { Caller, GovernanceDeps } from './ports.js';

export async function userRoles(deps: GovernanceDeps, userId: string): Promise<{ roles: string[] }> {
  return { roles: await rolesOfUser(deps.db, userId) };
}

/**
 * Grants inside someone's unit of work (a route's or a consumer's), announcing
 * `governance.role.assigned` so identity's projection follows. A repeated grant is a no-op
 * without an event. The role row is locked FOR SHARE: grants run side by side, but not
 * beside the role's deletion or an admin revocation.
 */
export async function grantInUnit(uow: UnitOfWork<GovernanceDB>, grant: { userId: string; role: string; by: string | null; actor: Actor | null; now: Date }): Promise<boolean> {
  const role = await lockRole(uow.trx, grant.role, 'share');
  if (!role) throw governanceErrors.roleNotFound(grant.role);
  if (!(await grantRole(uow.trx, grant.userId, grant.role, grant.by, grant.now))) return false;
  uow.record(
    createEvent('governance.role.assigned', { subject: { type: 'user', id: grant.userId }, actor: grant.actor, data: { userId: grant.userId, role: grant.role, by: grant.by } }),
  );
  return true;
}

/**
 * Revokes inside a unit of work with the last-admin guard. Revoking `admin` locks the admin
 * role's row FOR UPDATE before reading its holders: two concurrent revocations of the last
 * two admins queue on that one row, and the second reads the holders only after the first
 * committed (READ COMMITTED takes a fresh snapshot per statement), so it sees one admin
 * left and is refused. One row in a fixed place rather than SERIALIZABLE: no retry loop,
 * and no false conflicts with unrelated grants.
 */
export async function revokeInUnit(
  uow: UnitOfWork<GovernanceDB>,
  revocation: { userId: string; role: string; by: string | null; actor: Actor | null; enforceLastAdmin: boolean },
): Promise<boolean> {
  const role = await lockRole(uow.trx, revocation.role, revocation.role === adminRole ? 'update' : 'share');
  if (!role) throw governanceErrors.roleNotFound(revocation.role);
  if (revocation.enforceLastAdmin && revocation.role === adminRole) {
    const refused = guardRevocation(revocation.role, revocation.userId, await holdersIncluding(uow.trx, adminRole, revocation.userId, 2));
    if (refused) throw refused;
  }
  if (!(await revokeRoleRow(uow.trx, revocation.userId, revocation.role))) return false;
  uow.record(
    createEvent('governance.role.revoked', {
      subject: { type: 'user', id: revocation.userId },
      actor: revocation.actor,
      data: { userId: revocation.userId, role: revocation.role, by: revocation.by },
    }),
  );
  return true;
}

/** PUT /users/{userId}/roles/{role}: 204 whether or not the user already held it. */
export async function assignRole(deps: GovernanceDeps, caller: Caller, userId: string, role: string): Promise<void> {
  const now = deps.now();
  await deps.uow((uow) => grantInUnit(uow, { userId, role, by: caller.userId, actor: actorOf(caller), now }));
}

/**
 * The operator's way to a first (or replacement) admin, e.g. after the bootstrap email was
 * missed or the last admin was erased: no caller, so `by` is null. True when granted now.
 */
export async function grantAdminAsOperator(deps: Pick<GovernanceDeps, 'uow' | 'now'>, userId: string): Promise<boolean> {
  const now = deps.now();
  return deps.uow((uow) => grantInUnit(uow, { userId, role: adminRole, by: null, actor: null, now }));
}

/** DELETE /users/{userId}/roles/{role}: 204 whether or not the user held it; 422 for the last admin. */
export async function revokeRole(deps: GovernanceDeps, caller: Caller, userId: string, role: string): Promise<void> {
  await deps.uow((uow) => revokeInUnit(uow, { userId, role, by: caller.userId, actor: actorOf(caller), enforceLastAdmin: true }));
}
