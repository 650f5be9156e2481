import { createEvent, type Actor } from '@elcorp/contracts';
import { sql, type Selectable } from '@elcorp/db';
import type { UnitOfWork } from '@elcorp/messaging';
import { createHash, randomBytes } from 'node:crypto';
import { normaliseEmail } from '../domain/email.js';
import { identityErrors } from '../domain/errors.js';
import type { IdentityDB, UsersTable } from '../infrastructure/db/schema.js';
import { checkedUnderReservation, countForReset, failed, giveBackSlot, takeUnlockedSlot } from './attempts.js';
import { verifyCountedPassword } from './login.js';
import type { IdentityDeps, PasswordHasher, RequestContext } from './ports.js';
import { announceRevocations, revokeSessions } from './sessions.js';

/**
 * API.md: a new password may not be any of the last 5 (the current one included). Exactly
 * that many hashes are kept: older ones serve no rule, and every kept hash is one more old
 * password an attacker could crack from a stolen database and try elsewhere.
 */
export const passwordHistoryDepth = 5;
export const resetTokenSeconds = 30 * 60;
/** Reset mails per account and hour, so nobody can flood a mailbox through `forgot`. */
export const resetTokensPerHourMax = 5;
const hourMs = 60 * 60 * 1000;
/** Matches no user: unknown emails run the same bound query as known ones. */
const nobody = '00000000-0000-0000-0000-000000000000';
/**
 * Forgot-password requests waiting for delivery. The queue drains in milliseconds; this many
 * waiting means delivery is down or the route is flooded, and further requests answer 503
 * (whatever their email) rather than grow the table without end.
 */
export const resetRequestsQueuedMax = 10_000;
const queueFullRetryAfterSeconds = 30;

/** Reset tokens: 256 random bits, base64url; only their SHA-256 is stored. */
export function newResetToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashResetToken(token) };
}

export function hashResetToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Tokens issued after this instant count toward the hourly bound. Rows carry no issue time;
 * every token lives `resetTokenSeconds`, so "issued within the hour" is "expires after
 * now − 1 h + lifetime".
 */
export function resetBoundStart(now: Date): Date {
  return new Date(now.getTime() - hourMs + resetTokenSeconds * 1000);
}

/**
 * True when `password` matches one of `hashes`. Sequential with an early stop: each verify
 * holds ~19 MiB of argon2 memory, and the caller already proved who they are.
 */
export async function matchesAnyHash(hasher: Pick<PasswordHasher, 'verify'>, hashes: readonly string[], password: string): Promise<boolean> {
  for (const hash of hashes) {
    if (await hasher.verify(hash, password)) return true;
  }
  return false;
}

type User = Selectable<UsersTable>;

/** POST /users/me/password: the current password is the current factor; other sessions end. */
export async function changePassword(
  deps: IdentityDeps,
  input: { userId: string; sessionId: string; jkt: string; currentPassword: string; newPassword: string; request: RequestContext },
): Promise<void> {
  const user = await deps.db.selectFrom('users').selectAll().where('id', '=', input.userId).where('status', '=', 'active').executeTakeFirst();
  if (!user?.password_hash) throw identityErrors.invalidCredentials();
  await verifyCountedPassword(deps, user, input.currentPassword, { jkt: input.jkt, request: input.request });
  // The caller has just proved the current password: the history answer tells them nothing new.
  await checkPolicy(deps, user, input.newPassword);
  if (await reusesRecentPassword(deps, user, input.newPassword)) throw identityErrors.passwordReused();
  const newHash = await deps.hasher.hash(input.newPassword);
  const actor: Actor = { userId: user.id, sessionId: input.sessionId, ...input.request };
  const revoked = await deps.uow(async (uow) => {
    const { trx } = uow;
    // Only over the hash just verified: a change that raced this one makes the current password stale.
    const updated = await trx
      .updateTable('users')
      .set({ password_hash: newHash, updated_at: deps.now() })
      .where('id', '=', user.id)
      .where('status', '=', 'active')
      .where('password_hash', '=', user.password_hash!)
      .returning('id')
      .executeTakeFirst();
    if (!updated) throw identityErrors.invalidCredentials();
    await recordNewPassword(deps, uow, user.id, newHash, actor);
    return revokeSessions(deps, uow, { userId: user.id, exceptSessionId: input.sessionId }, 'password_change', actor);
  });
  await announceRevocations(deps, revoked);
}

/**
 * POST /auth/password/forgot. The caller learns nothing, not even from the time the answer
 * takes: the request path appends the normalised email to the queue and wakes delivery, the
 * same single insert for every email, known, unknown, erased or over the bound. Everything
 * that depends on the account happens in `deliverNextPasswordReset`, after the answer.
 */
export async function requestPasswordReset(deps: IdentityDeps, input: { email: string }): Promise<void> {
  const { rows } = await sql<{ id: string }>`
    INSERT INTO password_reset_requests (email_normalized)
    SELECT ${normaliseEmail(input.email)}
     WHERE (SELECT count(*) FROM (SELECT 1 FROM password_reset_requests LIMIT ${resetRequestsQueuedMax}) waiting) < ${resetRequestsQueuedMax}
    RETURNING id`.execute(deps.db);
  if (rows.length === 0) throw identityErrors.busy(queueFullRetryAfterSeconds);
  deps.resetDelivery.wake();
}

/**
 * Handles the oldest queued forgot-password request, if any (false: the queue is empty).
 * Unknown, erased and over-the-bound accounts get nothing; an active one gets a token, its
 * event and, after commit, the message. Replicas share the queue: SKIP LOCKED hands each
 * request to one of them, and the request leaves the queue only with the work it caused.
 */
export async function deliverNextPasswordReset(deps: IdentityDeps): Promise<boolean> {
  const reset = newResetToken();
  const now = deps.now();
  const expiresAt = new Date(now.getTime() + resetTokenSeconds * 1000);
  const outcome = await deps.uow(async ({ trx, record }) => {
    const { rows } = await sql<{ email_normalized: string }>`
      DELETE FROM password_reset_requests
       WHERE id = (SELECT id FROM password_reset_requests ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
      RETURNING email_normalized`.execute(trx);
    const request = rows[0];
    if (!request) return undefined;
    // The row lock serialises requests for one account, so parallel ones cannot overshoot the bound.
    const user = await trx
      .selectFrom('users')
      .select(['id', 'email'])
      .where('email_normalized', '=', request.email_normalized)
      .where('status', '=', 'active')
      .forUpdate()
      .executeTakeFirst();
    const outstanding = await trx
      .selectFrom('password_resets')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('user_id', '=', user?.id ?? nobody)
      .where('used_at', 'is', null)
      .where('expires_at', '>', resetBoundStart(now))
      .executeTakeFirstOrThrow();
    if (!user?.email || Number(outstanding.count) >= resetTokensPerHourMax) return { recipient: undefined };
    await trx.insertInto('password_resets').values({ token_hash: reset.hash, user_id: user.id, expires_at: expiresAt }).execute();
    record(createEvent('identity.password.reset_requested', { subject: { type: 'user', id: user.id }, actor: null, data: { userId: user.id } }));
    return { recipient: user.email };
  });
  if (!outcome) return false;
  // After commit: a token is only ever sent once it can be used. A failed send leaves an
  // unsent token; the person asks again (the hourly bound leaves room for that).
  if (outcome.recipient) {
    await deps.notifier.send({ to: { email: outcome.recipient }, template: 'password_reset', data: { token: reset.token, expiresAt: expiresAt.toISOString() } });
  }
  return true;
}

/**
 * POST /auth/password/reset: a valid token sets the password, ends every session and lifts
 * a lockout (the documented way out of one). The token is claimed by a conditional UPDATE,
 * so of two racing resets with one token exactly one succeeds.
 *
 * `password_reused` tells the caller that a password was the account's current or a recent
 * one, and the caller here proved no password: each such answer is a counted failure under
 * the account's reset count (the same limit, lock, events and notice as a login), so a token
 * probes at most `maxFailures` passwords per lock period. The reset count is its own, not
 * the shared login count, so failed logins by others never block the way out of a lock.
 */
export async function resetPassword(deps: IdentityDeps, input: { token: string; newPassword: string; request: RequestContext }): Promise<void> {
  const tokenHash = hashResetToken(input.token);
  const found = await deps.db
    .selectFrom('password_resets')
    .innerJoin('users', 'users.id', 'password_resets.user_id')
    .selectAll('users')
    .where('password_resets.token_hash', '=', tokenHash)
    .where('password_resets.used_at', 'is', null)
    .where('password_resets.expires_at', '>', deps.now())
    .where('users.status', '=', 'active')
    .executeTakeFirst();
  if (!found) throw identityErrors.invalidResetToken();
  // Checked before the token is claimed: a rejected password leaves the token usable for a retry.
  await checkPolicy(deps, found, input.newPassword);
  const count = countForReset(deps, found.email_normalized ?? '');
  await takeUnlockedSlot(deps, count, input.request);
  if (await checkedUnderReservation(deps, count, () => reusesRecentPassword(deps, found, input.newPassword))) {
    return failed(deps, count, found, 'invalid_credentials', input.request, identityErrors.passwordReused);
  }
  await giveBackSlot(deps, count);
  // Hashed outside any transaction: argon2 takes milliseconds and must not hold a connection.
  const newHash = await deps.hasher.hash(input.newPassword);
  const actor: Actor = { userId: found.id, ...input.request };
  const revoked = await deps.uow(async (uow) => {
    const { trx } = uow;
    // The user row first, as a password change and `forgot` lock it, so they cannot deadlock.
    const user = await trx
      .updateTable('users')
      .set({ password_hash: newHash, updated_at: deps.now() })
      .where('id', '=', found.id)
      .where('status', '=', 'active')
      .returning(['id', 'email_normalized'])
      .executeTakeFirst();
    if (!user) throw identityErrors.invalidResetToken();
    const claimed = await trx
      .updateTable('password_resets')
      .set({ used_at: deps.now() })
      .where('token_hash', '=', tokenHash)
      .where('user_id', '=', user.id)
      .where('used_at', 'is', null)
      .where('expires_at', '>', deps.now())
      .returning('user_id')
      .executeTakeFirst();
    if (!claimed) throw identityErrors.invalidResetToken();
    await recordNewPassword(deps, uow, user.id, newHash, actor);
    await liftLockout(deps, uow, user.id, user.email_normalized ?? '', deps.now(), actor);
    return revokeSessions(deps, uow, { userId: user.id }, 'password_change', actor);
  });
  await announceRevocations(deps, revoked);
}

/** The policy: one errors[] entry per broken rule. */
async function checkPolicy(deps: IdentityDeps, user: User, newPassword: string): Promise<void> {
  const violations = await deps.checkPassword(newPassword, { email: user.email ?? '', fullName: user.full_name ?? '' });
  if (violations.length > 0) {
    throw identityErrors.weakPassword(violations.map((v) => ({ path: 'body.newPassword', message: `${v.rule}: ${v.message}` })));
  }
}

/** The history rule: true when `newPassword` is the current or one of the last passwords. */
async function reusesRecentPassword(deps: IdentityDeps, user: User, newPassword: string): Promise<boolean> {
  const history = await deps.db
    .selectFrom('password_history')
    .select('password_hash')
    .where('user_id', '=', user.id)
    .orderBy('created_at', 'desc')
    .limit(passwordHistoryDepth)
    .execute();
  // The current hash too, should the history ever lack it (accounts older than the history).
  const recent = new Set([...(user.password_hash ? [user.password_hash] : []), ...history.map((h) => h.password_hash)]);
  return matchesAnyHash(deps.hasher, [...recent], newPassword);
}

/**
 * What every new password brings: the history (bounded to its depth), the end of reset
 * tokens issued for the old one, and the event.
 */
async function recordNewPassword(deps: IdentityDeps, { trx, record }: UnitOfWork<IdentityDB>, userId: string, passwordHash: string, actor: Actor): Promise<void> {
  // clock_timestamp(), taken under the user row lock: history order is the order of changes.
  await trx.insertInto('password_history').values({ user_id: userId, password_hash: passwordHash, created_at: sql<Date>`clock_timestamp()` }).execute();
  await sql`
    DELETE FROM password_history WHERE user_id = ${userId} AND ctid NOT IN (
      SELECT ctid FROM password_history WHERE user_id = ${userId} ORDER BY created_at DESC LIMIT ${passwordHistoryDepth})`.execute(trx);
  await trx.updateTable('password_resets').set({ used_at: deps.now() }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
  record(createEvent('identity.password.changed', { subject: { type: 'user', id: userId }, actor, data: { userId } }));
}

/** A reset clears every failure count of the account's email; a lock it ends is audited as an unlock. */
async function liftLockout(deps: IdentityDeps, { trx, record }: UnitOfWork<IdentityDB>, userId: string, emailNormalized: string, now: Date, actor: Actor): Promise<void> {
  const { rows } = await sql<{ was_locked: boolean }>`
    UPDATE login_failures f SET failures = 0, locked_until = NULL, updated_at = now()
    FROM (SELECT email_hash, scope, locked_until FROM login_failures WHERE email_hash = ${deps.emailHash(emailNormalized)} FOR UPDATE) old
    WHERE f.email_hash = old.email_hash AND f.scope = old.scope
    RETURNING coalesce(old.locked_until > ${now}, false) AS was_locked`.execute(trx);
  if (!rows.some((row) => row.was_locked)) return;
  record(createEvent('identity.user.unlocked', { subject: { type: 'user', id: userId }, actor, data: { userId, by: userId } }));
}
