import { sql, type Kysely, type Transaction } from '@elcorp/db';
import { sharedCount } from '../domain/lockout.js';
import type { IdentityDB } from '../infrastructure/db/schema.js';
import type { IdentityDeps } from './ports.js';

export interface UserView {
  id: string;
  email: string | null;
  fullName: string | null;
  phone: string | null;
  roles: string[];
  status: 'active' | 'locked' | 'erased';
  mfaEnabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

/**
 * Users as API.md shows them, with roles from the projection. Whether one is `locked` comes
 * from `withLockState`: the counts are keyed by a keyed hash the database cannot compute.
 */
export function userViews(db: Kysely<IdentityDB> | Transaction<IdentityDB>) {
  return db
    .selectFrom('users')
    .select([
      'users.id',
      'users.email',
      'users.email_normalized',
      'users.full_name',
      'users.phone',
      'users.status',
      'users.mfa_enabled',
      'users.created_at',
      'users.last_login_at',
      sql<string[]>`coalesce((SELECT array_agg(role ORDER BY role) FROM user_roles r WHERE r.user_id = users.id), '{}')`.as('roles'),
    ]);
}

export function toUserView(row: {
  id: string;
  email: string | null;
  full_name: string | null;
  phone: string | null;
  status: 'active' | 'erased';
  mfa_enabled: boolean;
  created_at: Date;
  last_login_at: Date | null;
  locked: boolean;
  roles: string[];
}): UserView {
  return {
    id: row.id,
    email: row.email,
    fullName: row.full_name,
    phone: row.phone,
    roles: row.roles,
    status: row.status === 'erased' ? 'erased' : row.locked ? 'locked' : 'active',
    mfaEnabled: row.mfa_enabled,
    createdAt: row.created_at.toISOString(),
    lastLoginAt: row.last_login_at?.toISOString() ?? null,
  };
}

/**
 * The rows with `locked`: true while the count shared by devices that never signed in to the
 * account holds a lock (what a new device meets; a known device's own lock is its own).
 */
export async function withLockState<R extends { id: string; email_normalized: string | null }>(
  deps: Pick<IdentityDeps, 'db' | 'emailHash'>,
  rows: R[],
): Promise<Array<R & { locked: boolean }>> {
  const hashes = new Map(rows.flatMap((row) => (row.email_normalized === null ? [] : [[row.id, deps.emailHash(row.email_normalized)] as const])));
  const locked = new Set<string>();
  if (hashes.size > 0) {
    const held = await deps.db
      .selectFrom('login_failures')
      .select('email_hash')
      .where('email_hash', 'in', [...hashes.values()])
      .where('scope', '=', sharedCount)
      .where('locked_until', '>', sql<Date>`now()`)
      .execute();
    for (const row of held) locked.add(row.email_hash);
  }
  return rows.map((row) => ({ ...row, locked: locked.has(hashes.get(row.id) ?? '') }));
}

export async function findUserView(deps: Pick<IdentityDeps, 'db' | 'emailHash'>, userId: string): Promise<UserView | undefined> {
  const row = await userViews(deps.db).where('users.id', '=', userId).executeTakeFirst();
  if (!row) return undefined;
  const [withLock] = await withLockState(deps, [row]);
  return toUserView(withLock!);
}
