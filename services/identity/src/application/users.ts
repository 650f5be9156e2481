import { createEvent, type Actor } from '@elcorp/contracts';
import { sql } from '@elcorp/db';
import { maskName, normaliseEmail } from '../domain/email.js';
import { identityErrors } from '../domain/errors.js';
import type { IdentityDeps } from './ports.js';
import { findUserView, toUserView, userViews, withLockState, type UserView } from './user-view.js';

export async function getUser(deps: IdentityDeps, userId: string): Promise<UserView> {
  const view = await findUserView(deps, userId);
  if (!view) throw identityErrors.userNotFound();
  return view;
}

export interface ProfileChange {
  fullName?: string;
  phone?: string;
}

/** Changes the caller's own profile; `identity.user.updated` names the fields that changed. */
export async function updateProfile(deps: IdentityDeps, userId: string, change: ProfileChange, actor: Actor): Promise<UserView> {
  await deps.uow(async ({ trx, record }) => {
    const current = await trx
      .selectFrom('users')
      .select(['full_name', 'phone'])
      .where('id', '=', userId)
      .where('status', '=', 'active')
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw identityErrors.userNotFound();
    const set: { full_name?: string; phone?: string } = {};
    const changed: string[] = [];
    if (change.fullName !== undefined && change.fullName !== current.full_name) {
      set.full_name = change.fullName;
      changed.push('fullName');
    }
    if (change.phone !== undefined && change.phone !== current.phone) {
      set.phone = change.phone;
      changed.push('phone');
    }
    // The same values again change nothing, so nothing is published.
    if (changed.length === 0) return;
    await trx.updateTable('users').set({ ...set, updated_at: deps.now() }).where('id', '=', userId).execute();
    record(createEvent('identity.user.updated', { subject: { type: 'user', id: userId }, actor, data: { userId, changed } }));
  });
  return getUser(deps, userId);
}

/** Confirms a payee: the id and a masked name of the active account with this email. */
export async function lookupByEmail(deps: Pick<IdentityDeps, 'db'>, email: string): Promise<{ id: string; displayName: string }> {
  const row = await deps.db
    .selectFrom('users')
    .select(['id', 'full_name'])
    .where('email_normalized', '=', normaliseEmail(email))
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (!row?.full_name) throw identityErrors.userNotFound();
  return { id: row.id, displayName: maskName(row.full_name) };
}

export interface UserPageQuery {
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Where a page ends: created_at to the microsecond (as Postgres prints it) and the id. */
interface UserPosition {
  createdAt: string;
  id: string;
}

const positionPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const cursorCharsMax = 200;

export function encodeUserCursor(position: UserPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

/** The position an opaque cursor names, or undefined when it is not one of ours. */
export function decodeUserCursor(cursor: string): UserPosition | undefined {
  if (cursor.length > cursorCharsMax || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [createdAt, id] = value as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || !positionPattern.test(createdAt) || !uuidPattern.test(id)) return undefined;
  // The pattern admits impossible dates (month 13), which Postgres would refuse with an error.
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1970 || date.toISOString().slice(0, 19) !== createdAt.slice(0, 19)) return undefined;
  return { createdAt, id };
}

/** LIKE treats % and _ as wildcards and \ as the escape; a search means them literally. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/**
 * Users in creation order, keyset-paginated on (created_at, id). `q` matches an email by
 * prefix (case-insensitive, on the normalised email) or a full name by substring; erased
 * users have neither, so a search never finds them, but the plain listing shows them.
 */
export async function listUsers(deps: IdentityDeps, query: UserPageQuery): Promise<{ items: UserView[]; nextCursor: string | null }> {
  let page = userViews(deps.db).select(sql<string>`to_char(users.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('position'));
  const q = query.q?.trim();
  if (q) {
    page = page.where((eb) =>
      eb.or([eb('users.email_normalized', 'like', `${escapeLike(normaliseEmail(q))}%`), eb('users.full_name', 'ilike', `%${escapeLike(q)}%`)]),
    );
  }
  if (query.cursor !== undefined) {
    const after = decodeUserCursor(query.cursor);
    if (!after) throw new Error('listUsers: the route validates the cursor');
    page = page.where(sql<boolean>`(users.created_at, users.id) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`);
  }
  const rows = await page.orderBy('users.created_at', 'asc').orderBy('users.id', 'asc').limit(query.limit + 1).execute();
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return {
    items: (await withLockState(deps, items)).map((row) => toUserView(row)),
    nextCursor: rows.length > query.limit && last ? encodeUserCursor({ createdAt: last.position, id: last.id }) : null,
  };
}

/**
 * Lifts a lockout at once: the failure counter of the user's email goes. An erased user
 * has no email, hence no counter, and nothing to unlock. An operator's unlock (the CLI) has
 * no actor: the event says `by: null`.
 */
export async function unlockUser(deps: Pick<IdentityDeps, 'db' | 'uow' | 'emailHash'>, userId: string, actor: Actor | null): Promise<void> {
  const user = await deps.db.selectFrom('users').select(['id', 'email_normalized']).where('id', '=', userId).executeTakeFirst();
  if (!user) throw identityErrors.userNotFound();
  const email = user.email_normalized;
  if (email === null) return;
  await deps.uow(async ({ trx, record }) => {
    await trx.deleteFrom('login_failures').where('email_hash', '=', deps.emailHash(email)).execute();
    record(createEvent('identity.user.unlocked', { subject: { type: 'user', id: userId }, actor, data: { userId, by: actor?.userId ?? null } }));
  });
}
