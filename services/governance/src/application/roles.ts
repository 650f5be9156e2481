import { createEvent, type Permission } from '@elcorp/contracts';
import { governanceErrors } from '../domain/errors.js';
import { checkPermissions } from '../domain/roles.js';
import { deleteRoleRow, findRole, insertRole, listRoles as listRoleRows, lockRole, roleHolders, revokeRoleRow, setPermissions, updateRoleRow, type RoleRow } from '../infrastructure/db/roles.repository.js';
import { lockBundles, pushLatestBundle, recordNextBundle } from './bundles.js';
import { actorOf, pageOf, type Page, type PageQuery } from './common.js';
import type { Caller, GovernanceDeps } from './ports.js';

export type RoleView = RoleRow;

export async function listRoles(deps: GovernanceDeps, page: PageQuery): Promise<Page<RoleView>> {
  const rows = await listRoleRows(deps.db, { limit: page.limit + 1, ...(page.cursor !== undefined ? { cursor: page.cursor } : {}) });
  return pageOf(rows, page.limit, (r) => r.name, (r) => r);
}

function permissionsOrThrow(requested: readonly string[]): Permission[] {
  const checked = checkPermissions(requested);
  if (!Array.isArray(checked)) throw checked;
  return checked;
}

export async function createRole(deps: GovernanceDeps, caller: Caller, input: { name: string; description: string; permissions: string[] }): Promise<RoleView> {
  const granted = permissionsOrThrow(input.permissions);
  const now = deps.now();
  await deps.uow(async (uow) => {
    await lockBundles(uow.trx);
    if (!(await insertRole(uow.trx, { name: input.name, description: input.description, permissions: granted, system: false }))) throw governanceErrors.roleExists(input.name);
    uow.record(createEvent('governance.role.created', { subject: { type: 'role', id: input.name }, actor: actorOf(caller), data: { role: input.name, permissions: granted } }));
    await recordNextBundle(uow, actorOf(caller), now);
  });
  await pushLatestBundle(deps);
  return { name: input.name, description: input.description, system: false, permissions: granted };
}

export async function updateRole(deps: GovernanceDeps, caller: Caller, name: string, change: { description?: string; permissions?: string[] }): Promise<RoleView> {
  const granted = change.permissions === undefined ? undefined : permissionsOrThrow(change.permissions);
  const now = deps.now();
  const view = await deps.uow(async (uow) => {
    await lockBundles(uow.trx);
    const role = await lockRole(uow.trx, name, 'update');
    if (!role) throw governanceErrors.roleNotFound(name);
    if (role.system) throw governanceErrors.systemRole(name);
    const description = change.description ?? role.description;
    if (change.description !== undefined) await updateRoleRow(uow.trx, name, description, now);
    if (granted) await setPermissions(uow.trx, name, granted);
    const current = (await findRole(uow.trx, name))!;
    uow.record(createEvent('governance.role.updated', { subject: { type: 'role', id: name }, actor: actorOf(caller), data: { role: name, permissions: current.permissions } }));
    await recordNextBundle(uow, actorOf(caller), now);
    return { ...current, description };
  });
  await pushLatestBundle(deps);
  return view;
}

/**
 * Holders revoked per transaction while a role is deleted: each revocation is one event, and
 * a unit of work records a bounded number (eventsPerUnitMax); small transactions also keep
 * the role's row lock short for everyone granting or checking it meanwhile.
 */
export const revocationsPerBatch = 500;

/**
 * Deletes a custom role. Its holders lose it first, each with `governance.role.revoked`, so
 * identity's projection drops it and their sessions follow like any other revocation. A role
 * with many holders is emptied over several transactions; the last one, which finds no holder
 * left, deletes the role and publishes the bundle without it. If the process stops midway,
 * the holders revoked so far stay revoked and deleting again finishes the work.
 */
export async function deleteRole(deps: GovernanceDeps, caller: Caller, name: string): Promise<void> {
  const now = deps.now();
  for (;;) {
    const deleted = await deps.uow(async (uow) => {
      await lockBundles(uow.trx);
      const role = await lockRole(uow.trx, name, 'update');
      if (!role) throw governanceErrors.roleNotFound(name);
      if (role.system) throw governanceErrors.systemRole(name);
      const holders = await roleHolders(uow.trx, name, revocationsPerBatch);
      for (const userId of holders) {
        await revokeRoleRow(uow.trx, userId, name);
        uow.record(createEvent('governance.role.revoked', { subject: { type: 'user', id: userId }, actor: actorOf(caller), data: { userId, role: name, by: caller.userId } }));
      }
      if (holders.length > 0) return false;
      const permissions = (await findRole(uow.trx, name))?.permissions ?? [];
      await deleteRoleRow(uow.trx, name);
      uow.record(createEvent('governance.role.deleted', { subject: { type: 'role', id: name }, actor: actorOf(caller), data: { role: name, permissions } }));
      await recordNextBundle(uow, actorOf(caller), now);
      return true;
    });
    if (deleted) break;
  }
  await pushLatestBundle(deps);
}
