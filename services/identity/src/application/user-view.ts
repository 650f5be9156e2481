import { sql, type Kysely, type Transaction } from '@elcorp/db';
import type { IdentityDB } from '../infrastructure/db/schema.js';

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
 * Users as API.md shows them: roles from the projection, and `locked` while the failure
 * counter for the user's email holds a lock (the counter is keyed by the email's hash).
 */
export function userViews(db: Kysely<IdentityDB> | Transaction<IdentityDB>) {
  return db
    .selectFrom('users')
    .leftJoin('login_failures', (join) =>
      join.on('login_failures.email_hash', '=', sql<string>`encode(sha256(convert_to(users.email_normalized, 'UTF8')), 'hex')`),
    )
    .select([
      'users.id',
      'users.email',
      'users.full_name',
      'users.phone',
      'users.status',
      'users.mfa_enabled',
      'users.created_at',
      'users.last_login_at',
      sql<boolean>`coalesce(login_failures.locked_until > now(), false)`.as('locked'),
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

export async function findUserView(db: Kysely<IdentityDB>, userId: string): Promise<UserView | undefined> {
  const row = await userViews(db).where('users.id', '=', userId).executeTakeFirst();
  return row ? toUserView(row) : undefined;
}
