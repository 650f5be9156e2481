import type { DomainEvent } from '@elcorp/contracts';
import type { UnitOfWork } from '@elcorp/messaging';
import { adminRole, rolesOnRegistration } from '../domain/roles.js';
import { everGranted, lockRole, rolesOfUser } from '../infrastructure/db/roles.repository.js';
import type { GovernanceDB } from '../infrastructure/db/schema.js';
import { grantInUnit, revokeInUnit } from './assignments.js';

export interface RegistrationDeps {
  bootstrapAdminEmail?: string;
  now: () => Date;
}

/**
 * `identity.user.registered`: every new user gets `user`; the bootstrap email also gets
 * `admin` while no admin has ever existed. The admin role's row is locked first so the
 * "ever existed" check and the grant cannot interleave with another admin grant.
 */
export async function onUserRegistered(deps: RegistrationDeps, event: DomainEvent<'identity.user.registered'>, uow: UnitOfWork<GovernanceDB>): Promise<void> {
  const { userId, email } = event.data;
  const bootstrapCandidate = deps.bootstrapAdminEmail !== undefined && rolesOnRegistration(email, deps.bootstrapAdminEmail, false).includes(adminRole);
  if (bootstrapCandidate) await lockRole(uow.trx, adminRole, 'update');
  const adminExisted = bootstrapCandidate ? await everGranted(uow.trx, adminRole) : true;
  const now = deps.now();
  for (const role of rolesOnRegistration(email, deps.bootstrapAdminEmail, adminExisted)) {
    await grantInUnit(uow, { userId, role, by: null, actor: null, now });
  }
}

/**
 * `identity.user.erased`: the user's roles go, each announced. The last-admin guard does not
 * apply: erasure is a legal obligation already carried out, not a request governance may
 * refuse; an operator grants admin again through the CLI.
 */
export async function onUserErased(event: DomainEvent<'identity.user.erased'>, uow: UnitOfWork<GovernanceDB>): Promise<void> {
  const { userId } = event.data;
  for (const role of await rolesOfUser(uow.trx, userId)) {
    await revokeInUnit(uow, { userId, role, by: null, actor: null, enforceLastAdmin: false });
  }
}
