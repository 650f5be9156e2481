import type { Kysely } from '@elcorp/db';
import type { PermissionCheck } from '../application/ports.js';
import type { GovernanceDB } from './db/schema.js';

/**
 * A permission check from governance's own role table (the caller's roles → their
 * permissions). Used where no Cedar authorizer is wired; it knows roles, not custom policies.
 */
export function roleTableCheck(db: Kysely<GovernanceDB>): PermissionCheck {
  return async (caller, action) => {
    if (caller.roles.length === 0) return false;
    const row = await db.selectFrom('role_permissions').select('role').where('role', 'in', [...caller.roles]).where('permission', '=', action).limit(1).executeTakeFirst();
    return row !== undefined;
  };
}
