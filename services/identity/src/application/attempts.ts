import { createEvent } from '@elcorp/contracts';
import { CompiledQuery, preparedMarker, sql, type Selectable } from '@elcorp/db';
import { identityErrors, type IdentityError } from '../domain/errors.js';
import { deviceCountOf, lockedForSeconds, lockoutPolicy, resetCount, sharedCount } from '../domain/lockout.js';
import type { UsersTable } from '../infrastructure/db/schema.js';
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
  const { rows } = await deps.db.executeQuery<Reservation>(CompiledQuery.raw(reserveSql, [count.key, count.scope, lockoutPolicy.abandonedAttemptSeconds]));
  await refuseWhileLocked(deps, count, rows[0]!, request);
}

/** What a reservation statement returns: the count as it stands with this attempt reserved. */
export interface Reservation {
  failures: number;
  in_flight: number;
  locked_until: Date | null;
}

/**
 * The conflict arm of a reservation, shared by every statement that reserves (`$abandoned`:
 * the parameter holding lockoutPolicy.abandonedAttemptSeconds). An expired lock starts a
 * fresh count; reservations nobody touched for a while were left by a crashed process and
 * are dropped, so they cannot lock an email out for good. One atomic statement, outside any
 * transaction: it must not hold the row while argon2 runs.
 */
export const reservationConflictSql = (abandoned: string) => `ON CONFLICT (email_hash, scope) DO UPDATE SET
      failures = CASE WHEN f.locked_until <= now() THEN 0 ELSE f.failures END,
      in_flight = CASE
        WHEN f.locked_until <= now() OR f.updated_at < now() - make_interval(secs => ${abandoned}) THEN 1
        ELSE f.in_flight + 1 END,
      locked_until = CASE WHEN f.locked_until <= now() THEN NULL ELSE f.locked_until END,
      updated_at = now()
    RETURNING scope, failures, in_flight, locked_until`;

/** Reserves a place for one attempt under a count known beforehand. */
const reserveSql = `${preparedMarker} INSERT INTO login_failures AS f (email_hash, scope, in_flight) VALUES ($1, $2, 1) ${reservationConflictSql('$3')}`;

/**
 * Goes ahead (returns) when the reservation is under the limit; otherwise ends it in the unit
 * of work that records the refusal, and answers 423 with the seconds to wait.
 */
export async function refuseWhileLocked(deps: IdentityDeps, count: AttemptCount, reservation: Reservation, request: RequestContext): Promise<void> {
  const refusal = refusalOf(reservation, deps.now());
  if (!refusal) return;
  await deps.uow(async ({ trx, record }) => {
    await endReservation(trx, count);
    record(failureEvent(count, 'locked', request));
  });
  throw refusal;
}

/** Why an attempt may not go ahead, with how long to wait; undefined: go ahead. */
function refusalOf(row: Reservation, now: Date): IdentityError | undefined {
  const lockedSeconds = lockedForSeconds(row.locked_until, now);
  if (lockedSeconds > 0) return identityErrors.accountLocked(lockedSeconds);
  // More attempts in flight than the limit allows: refused without checking a password, but
  // nothing is locked, so the client is told to come back in a moment, not in 15 minutes.
  if (row.failures + row.in_flight > lockoutPolicy.maxFailures) return identityErrors.attemptsInFlight(lockoutPolicy.placesTakenRetrySeconds);
  return undefined;
}

/**
 * A password check that did not answer (the hasher failed: memory, say) counts for nothing: its
 * reservation is given back, or it would hold a place under the limit until dropped as
 * abandoned, and a few such attempts would have the account refused (423) meanwhile.
 */
export async function checkedUnderReservation(deps: IdentityDeps, count: AttemptCount, check: () => Promise<boolean>): Promise<boolean> {
  try {
    return await check();
  } catch (err) {
    await giveBackSlot(deps, count);
    throw err;
  }
}

/** A right credential (or a stopped attempt) gives its reservation back; the count stays. */
export async function giveBackSlot(deps: IdentityDeps, count: AttemptCount): Promise<void> {
  await endReservation(deps.db, count);
}

async function endReservation(db: IdentityDeps['db'], { key, scope }: AttemptCount): Promise<void> {
  await sql`UPDATE login_failures SET in_flight = greatest(in_flight - 1, 0) WHERE email_hash = ${key} AND scope = ${scope}`.execute(db);
}

/**
 * The part of a login's success statement that touches its count (a data-modifying CTE's
 * body): the count is reset and this attempt's reservation ended; other devices' counts stay.
 */
export function signedInReset({ key, scope }: AttemptCount) {
  return sql`UPDATE login_failures SET failures = 0, in_flight = greatest(in_flight - 1, 0), locked_until = NULL, updated_at = now()
    WHERE email_hash = ${key} AND scope = ${scope}`;
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
