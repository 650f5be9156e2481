import { permissions, type Permission } from '@elcorp/contracts';
import { sql, type Kysely, type Transaction } from '@elcorp/db';
import type { GovernanceDB } from './schema.js';

type Db = Kysely<GovernanceDB> | Transaction<GovernanceDB>;

export interface RoleRow {
  name: string;
  description: string;
  system: boolean;
  permissions: Permission[];
}

/** Permissions as API.md lists them, so a role reads the same however it was saved. */
function inCatalogueOrder(granted: readonly string[]): Permission[] {
  const held = new Set(granted);
  return permissions.filter((p) => held.has(p));
}

function roleQuery(db: Db) {
  return db
    .selectFrom('roles as r')
    .select(['r.name', 'r.description', 'r.system'])
    .select(sql<string[]>`coalesce((select array_agg(p.permission order by p.permission) from role_permissions p where p.role = r.name), '{}')`.as('permissions'));
}

/** Roles with their permissions in name order, after `cursor` (a role name). */
export async function listRoles(db: Db, page: { limit: number; cursor?: string }): Promise<RoleRow[]> {
  let query = roleQuery(db).orderBy('r.name').limit(page.limit);
  if (page.cursor !== undefined) query = query.where('r.name', '>', page.cursor);
  const rows = await query.execute();
  return rows.map((row) => ({ ...row, permissions: inCatalogueOrder(row.permissions) }));
}

export async function allRolePermissions(db: Db): Promise<Record<string, Permission[]>> {
  const rows = await db.selectFrom('roles as r').leftJoin('role_permissions as p', 'p.role', 'r.name').select(['r.name', 'p.permission']).orderBy('r.name').orderBy('p.permission').execute();
  const table: Record<string, Permission[]> = {};
  for (const row of rows) {
    table[row.name] ??= [];
    if (row.permission !== null) table[row.name]!.push(row.permission as Permission);
  }
  return table;
}

/**
 * Reads a role and locks its row: `update` for changes that must see every concurrent
 * change of the role first (revoking admin, deleting, editing), `share` for grants, which
 * may run side by side but not beside a deletion or an admin revocation.
 */
export async function lockRole(trx: Transaction<GovernanceDB>, name: string, mode: 'update' | 'share') {
  const query = trx.selectFrom('roles').select(['name', 'description', 'system']).where('name', '=', name);
  return (mode === 'update' ? query.forUpdate() : query.forShare()).executeTakeFirst();
}

export async function insertRole(trx: Transaction<GovernanceDB>, role: { name: string; description: string; permissions: Permission[]; system: boolean }): Promise<boolean> {
  const inserted = await trx
    .insertInto('roles')
    .values({ name: role.name, description: role.description, system: role.system })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('name')
    .executeTakeFirst();
  if (!inserted) return false;
  await setPermissions(trx, role.name, role.permissions);
  return true;
}

export async function setPermissions(trx: Transaction<GovernanceDB>, role: string, granted: readonly Permission[]): Promise<void> {
  await trx.deleteFrom('role_permissions').where('role', '=', role).execute();
  if (granted.length > 0) await trx.insertInto('role_permissions').values(granted.map((permission) => ({ role, permission }))).execute();
}

export async function updateRoleRow(trx: Transaction<GovernanceDB>, name: string, description: string, now: Date): Promise<void> {
  await trx.updateTable('roles').set({ description, updated_at: now }).where('name', '=', name).execute();
}

export async function deleteRoleRow(trx: Transaction<GovernanceDB>, name: string): Promise<void> {
  await trx.deleteFrom('roles').where('name', '=', name).execute();
}

/** Holders of a role in a fixed order; read under the role's row lock for the last-admin guard. */
/** Up to `limit` holders of a role, in a stable order. */
export async function roleHolders(db: Db, role: string, limit: number): Promise<string[]> {
  const rows = await db.selectFrom('user_roles').select('user_id').where('role', '=', role).orderBy('user_id').limit(limit).execute();
  return rows.map((row) => row.user_id);
}

/**
 * Up to `limit` holders of a role, `first` among them when it holds the role: enough for the
 * last-admin guard to tell "the only holder" from "one of several" without reading every
 * holder of a role thousands may hold.
 */
export async function holdersIncluding(db: Db, role: string, first: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('user_roles')
    .select('user_id')
    .where('role', '=', role)
    .orderBy(sql`user_id = ${first}`, 'desc')
    .orderBy('user_id')
    .limit(limit)
    .execute();
  return rows.map((row) => row.user_id);
}

export async function rolesOfUser(db: Db, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('user_roles').select('role').where('user_id', '=', userId).orderBy('role').execute();
  return rows.map((row) => row.role);
}

/** Grants a role; false when the user already held it. Marks the role as ever assigned. */
export async function grantRole(trx: Transaction<GovernanceDB>, userId: string, role: string, by: string | null, now: Date): Promise<boolean> {
  const inserted = await trx
    .insertInto('user_roles')
    .values({ user_id: userId, role, granted_by: by, granted_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'role']).doNothing())
    .returning('role')
    .executeTakeFirst();
  if (!inserted) return false;
  await trx.insertInto('role_first_grants').values({ role, at: now }).onConflict((oc) => oc.column('role').doNothing()).execute();
  return true;
}

export async function revokeRoleRow(trx: Transaction<GovernanceDB>, userId: string, role: string): Promise<boolean> {
  const deleted = await trx.deleteFrom('user_roles').where('user_id', '=', userId).where('role', '=', role).returning('role').executeTakeFirst();
  return deleted !== undefined;
}

export async function findRole(db: Db, name: string): Promise<RoleRow | undefined> {
  const [row] = await roleQuery(db).where('r.name', '=', name).execute();
  return row ? { ...row, permissions: inCatalogueOrder(row.permissions) } : undefined;
}

export async function everGranted(db: Db, role: string): Promise<boolean> {
  return (await db.selectFrom('role_first_grants').select('role').where('role', '=', role).executeTakeFirst()) !== undefined;
}
