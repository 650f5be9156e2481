import { LruCache } from '@elcorp/auth';
import { CompiledQuery, preparedMarker, sql, type Kysely, type Transaction } from '@elcorp/db';
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

/** What GET /users/me meets: a session that ended, or the session's user (undefined: none). */
export type OwnView = { sessionLives: false } | { sessionLives: true; view: UserView | undefined };

/**
 * The session check and the caller's view in one statement. `locked` can only be asked of the
 * database with the email's keyed hash, which needs the email, which the same statement reads:
 * so it is asked with the hash last seen for this user, and believed only when the email read
 * is the one that hash was made from (the hash is a pure function of it); otherwise a second
 * query asks with the right hash. Nothing else is remembered, so revocation, expiry, erasure
 * and role changes are seen by the next request. Prepared on each connection: it runs on every
 * GET /users/me, and Postgres parsed and planned it each time.
 */
const ownViewSql = `${preparedMarker} SELECT u.id, u.email, u.email_normalized, u.full_name, u.phone, u.status, u.mfa_enabled, u.created_at, u.last_login_at,
  coalesce((SELECT array_agg(role ORDER BY role) FROM user_roles r WHERE r.user_id = u.id), '{}') AS roles,
  EXISTS (SELECT 1 FROM login_failures f WHERE f.email_hash = $3 AND f.scope = $4 AND f.locked_until > now()) AS locked
FROM sessions s LEFT JOIN users u ON u.id = s.user_id
WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $5`;

type OwnViewRow = Parameters<typeof toUserView>[0] & { id: string | null; email_normalized: string | null };

/** Keyed email hashes by user, most recently used kept: a bound on memory, not on correctness. */
const emailHashesKept = 10_000;

export function ownViews(deps: Pick<IdentityDeps, 'db' | 'emailHash'>): (session: { userId: string; sessionId: string }, now: Date) => Promise<OwnView> {
  const hashes = new LruCache<string, { email: string; hash: string }>(emailHashesKept);
  return async ({ userId, sessionId }, now) => {
    const known = hashes.get(userId);
    const { rows } = await deps.db.executeQuery<OwnViewRow>(CompiledQuery.raw(ownViewSql, [sessionId, userId, known?.hash ?? null, sharedCount, now]));
    const row = rows[0];
    if (!row) return { sessionLives: false };
    if (row.id === null) return { sessionLives: true, view: undefined };
    const email = row.email_normalized;
    if (email === null) {
      hashes.delete(userId);
      return { sessionLives: true, view: toUserView({ ...row, locked: false }) };
    }
    if (known?.email === email) return { sessionLives: true, view: toUserView(row) };
    const hash = deps.emailHash(email);
    hashes.set(userId, { email, hash });
    const [withLock] = await withLockState(deps, [row as OwnViewRow & { id: string }]);
    return { sessionLives: true, view: toUserView(withLock!) };
  };
}
