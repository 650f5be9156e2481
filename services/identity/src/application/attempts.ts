import { createEvent } from '@elcorp/contracts';
import { CompiledQuery, sql, type Selectable, type Transaction } from '@elcorp/db';
import { identityErrors, type IdentityError } from '../domain/errors.js';
import { deviceCountOf, lockedForSeconds, lockoutPolicy, resetCount, sharedCount } from '../domain/lockout.js';
import type { IdentityDB, UsersTable } from '../infrastructure/db/schema.js';
import type { IdentityDeps, RequestContext } from './ports.js';

/**
 * One failure count: the keyed hash of an email and whose attempts it counts there
 * (`domain/lockout.ts`: the devices that never signed in to the account share one count,
 * each device that did has its own, and reset-token probes have theirs).
 */
export interface AttemptCount {
  key: string;
  scope: string;
}

export type FailureReason = 'invalid_credentials' | 'invalid_otp';

/**
 * The count an attempt from device `jkt` falls under: its own when that device key has ever
 * opened a session of the active account with this email, else the shared one (unknown
 * emails included, so which count answers reveals nothing).
 */
export async function countForDevice(deps: IdentityDeps, emailNormalized: string, userId: string | undefined, jkt: string | undefined): Promise<AttemptCount> {
  if (userId === undefined || jkt === undefined) return countOf(deps, emailNormalized, jkt, false);
  const known = await deps.db.selectFrom('sessions').select('id').where('user_id', '=', userId).where('jkt', '=', jkt).limit(1).executeTakeFirst();
  return countOf(deps, emailNormalized, jkt, known !== undefined);
}

/** `countForDevice` when the caller already read whether device `jkt` has opened a session of the account. */
export function countOf(deps: Pick<IdentityDeps, 'emailHash'>, emailNormalized: string, jkt: string | undefined, deviceKnown: boolean): AttemptCount {
  const key = deps.emailHash(emailNormalized);
  return { key, scope: deviceKnown && jkt !== undefined ? deviceCountOf(jkt) : sharedCount };
}

/** Reset-token probes of an account (the password history answer) are counted apart. */
export function countForReset(deps: IdentityDeps, emailNormalized: string): AttemptCount {
  return { key: deps.emailHash(emailNormalized), scope: resetCount };
}

/**
 * A reservation under the failure limit, or 423 while the count is locked. A refused attempt
 * hands its reservation back in the unit of work that records its `login_failed`.
 */
export async function takeUnlockedSlot(deps: IdentityDeps, count: AttemptCount, request: RequestContext): Promise<void> {
  const lockedSeconds = await reserveAttempt(deps, count);
  if (lockedSeconds === 0) return;
  await deps.uow(async ({ trx, record }) => {
    await endReservation(trx, count);
    record(failureEvent(count, 'locked', request));
  });
  throw identityErrors.accountLocked(lockedSeconds);
}

/**
 * Reserves a place for one attempt and answers the seconds it must wait (0: go ahead). One
 * atomic statement, outside any transaction: it must not hold the row while argon2 runs. An
 * expired lock starts a fresh count; reservations nobody touched for a while were left by a
 * crashed process and are dropped, so they cannot lock an email out for good.
 */
async function reserveAttempt(deps: IdentityDeps, { key, scope }: AttemptCount): Promise<number> {
  const { rows } = await sql<{ failures: number; in_flight: number; locked_until: Date | null }>`
    INSERT INTO login_failures AS f (email_hash, scope, in_flight) VALUES (${key}, ${scope}, 1)
    ON CONFLICT (email_hash, scope) DO UPDATE SET
      failures = CASE WHEN f.locked_until <= now() THEN 0 ELSE f.failures END,
      in_flight = CASE
        WHEN f.locked_until <= now() OR f.updated_at < now() - make_interval(secs => ${lockoutPolicy.abandonedAttemptSeconds}) THEN 1
        ELSE f.in_flight + 1 END,
      locked_until = CASE WHEN f.locked_until <= now() THEN NULL ELSE f.locked_until END,
      updated_at = now()
    RETURNING failures, in_flight, locked_until`.execute(deps.db);
  const row = rows[0]!;
  const lockedSeconds = lockedForSeconds(row.locked_until, deps.now());
  // More attempts in flight than the limit allows: refuse without checking a password.
  if (lockedSeconds === 0 && row.failures + row.in_flight > lockoutPolicy.maxFailures) return lockoutPolicy.lockSeconds;
  return lockedSeconds;
}

/** A right credential (or a stopped attempt) gives its reservation back; the count stays. */
export async function giveBackSlot(deps: IdentityDeps, count: AttemptCount): Promise<void> {
  await endReservation(deps.db, count);
}

async function endReservation(db: IdentityDeps['db'], { key, scope }: AttemptCount): Promise<void> {
  await sql`UPDATE login_failures SET in_flight = greatest(in_flight - 1, 0) WHERE email_hash = ${key} AND scope = ${scope}`.execute(db);
}

/**
 * A login's success, in one statement of its unit of work: its own count is reset and its
 * reservation ended (other devices' counts stay), the user's `last_login_at` is set, and the
 * user's roles are read back for the token: one round trip where three were.
 */
const signedInSql = `WITH signed_in AS (UPDATE users SET last_login_at = $1 WHERE id = $2),
  reset AS (UPDATE login_failures SET failures = 0, in_flight = greatest(in_flight - 1, 0), locked_until = NULL, updated_at = now()
    WHERE email_hash = $3 AND scope = $4)
  SELECT coalesce(array_agg(role ORDER BY role), '{}') AS roles FROM user_roles WHERE user_id = $2`;

export async function signedIn(trx: Transaction<IdentityDB>, count: AttemptCount, userId: string, at: Date): Promise<string[]> {
  const { rows } = await trx.executeQuery<{ roles: string[] }>(CompiledQuery.raw(signedInSql, [at, userId, count.key, count.scope]));
  return rows[0]!.roles;
}

/**
 * A wrong credential: in one unit of work the reservation becomes a counted failure, its
 * `login_failed` is recorded and, at the limit, the lock and `identity.user.locked` too.
 * The owner is told after commit, so nobody hears of a lock that rolled back. Below the
 * limit the caller's own refusal is thrown (401, or 422 for a reused password on reset).
 */
export async function failed(
  deps: IdentityDeps,
  count: AttemptCount,
  user: Selectable<UsersTable> | undefined,
  reason: FailureReason,
  request: RequestContext,
  refusal: () => IdentityError = reason === 'invalid_otp' ? identityErrors.invalidOtp : identityErrors.invalidCredentials,
): Promise<never> {
  const until = new Date(deps.now().getTime() + lockoutPolicy.lockSeconds * 1000);
  let locked: boolean;
  try {
    locked = await deps.uow(async ({ trx, record }) => {
      // An upsert: an unlock may have deleted the row while the password was checked.
      const { rows } = await sql<{ failures: number }>`
        INSERT INTO login_failures AS f (email_hash, scope, failures) VALUES (${count.key}, ${count.scope}, 1)
        ON CONFLICT (email_hash, scope) DO UPDATE SET failures = f.failures + 1, in_flight = greatest(f.in_flight - 1, 0), updated_at = now()
        RETURNING failures`.execute(trx);
      record(failureEvent(count, reason, request));
      if (rows[0]!.failures < lockoutPolicy.maxFailures) return false;
      await trx.updateTable('login_failures').set({ locked_until: until }).where('email_hash', '=', count.key).where('scope', '=', count.scope).execute();
      if (user) record(createEvent('identity.user.locked', { subject: { type: 'user', id: user.id }, actor: null, data: { userId: user.id, until: until.toISOString() } }));
      return true;
    });
  } catch (err) {
    // Neither the failure nor its event committed: the attempt ends uncounted. Its caller
    // must see the original error; a reservation this cannot give back is dropped as abandoned.
    await giveBackSlot(deps, count).catch(() => undefined);
    throw err;
  }
  if (!locked) throw refusal();
  if (user?.email) await deps.notifier.send({ to: { email: user.email }, template: 'account_locked', data: { until: until.toISOString() } });
  throw identityErrors.accountLocked(lockoutPolicy.lockSeconds);
}

function failureEvent({ key }: AttemptCount, reason: FailureReason | 'locked', request: RequestContext) {
  return createEvent('identity.user.login_failed', { subject: { type: 'email', id: key.slice(0, 64) }, actor: null, data: { emailHash: key, reason, ip: request.ip } });
}
