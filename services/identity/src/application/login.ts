import { createEvent } from '@elcorp/contracts';
import { sql, type Transaction } from '@elcorp/db';
import { createHash } from 'node:crypto';
import { normaliseEmail } from '../domain/email.js';
import { identityErrors } from '../domain/errors.js';
import { lockedForSeconds, lockoutPolicy } from '../domain/lockout.js';
import type { IdentityDB, UsersTable } from '../infrastructure/db/schema.js';
import type { Selectable } from '@elcorp/db';
import type { IdentityDeps, RequestContext } from './ports.js';
import { openSession, rolesOf, type TokenPair } from './sessions.js';

export interface LoginInput {
  email: string;
  password: string;
  otp?: string;
  deviceName?: string;
  jkt: string;
  request: RequestContext;
}

/** Checks a second factor inside the login transaction; returns false when it is wrong. */
export type SecondFactorCheck = (trx: Transaction<IdentityDB>, user: Selectable<UsersTable>, otp: string) => Promise<boolean>;

export const emailHash = (email: string) => createHash('sha256').update(normaliseEmail(email)).digest('hex');

/**
 * Password (and second factor) login bound to the device key of the DPoP proof.
 * Every attempt first reserves a place under the failure limit, in one atomic statement,
 * before any password is checked: however many attempts run in parallel, at most
 * `maxFailures` passwords are ever checked before the lock. A wrong credential turns its
 * reservation into a counted failure in the unit of work that records its
 * `identity.user.login_failed` (and the lock with `identity.user.locked`), so the count and
 * the events commit together or not at all; a right one gives the reservation back.
 */
export async function login(deps: IdentityDeps, input: LoginInput, secondFactor: SecondFactorCheck): Promise<{ pair: TokenPair; user: Selectable<UsersTable>; roles: string[] }> {
  const { user, key } = await checkCredentials(deps, input);
  if (user.mfa_enabled && !input.otp) {
    await giveBackSlot(deps, key);
    throw identityErrors.mfaRequired();
  }

  const sign = await deps.tokens.signer();
  const outcome = await deps.uow(async (uow) => {
    const { trx } = uow;
    if (user.mfa_enabled && !(await secondFactor(trx, user, input.otp!))) return undefined;
    const loggedInAt = deps.now();
    await trx.updateTable('users').set({ last_login_at: loggedInAt }).where('id', '=', user.id).execute();
    user.last_login_at = loggedInAt;
    // A success resets the count and ends this attempt's reservation.
    await trx
      .updateTable('login_failures')
      .set({ failures: 0, in_flight: sql<number>`greatest(in_flight - 1, 0)`, locked_until: null, updated_at: deps.now() })
      .where('email_hash', '=', key)
      .execute();
    const roles = await rolesOf(trx, user.id);
    const pair = await openSession(deps, uow, sign, { userId: user.id, jkt: input.jkt, deviceName: input.deviceName ?? 'unnamed device', roles, request: input.request });
    return { pair, roles };
  });
  if (!outcome) return failed(deps, key, user, 'invalid_otp', input.request);
  return { ...outcome, user };
}

/** Email and password under the failure counter; on success the caller holds the reservation. */
async function checkCredentials(deps: IdentityDeps, input: { email: string; password: string; request: RequestContext }) {
  const key = emailHash(input.email);
  await takeUnlockedSlot(deps, key, input.request);
  const user = await deps.db
    .selectFrom('users')
    .selectAll()
    .where('email_normalized', '=', normaliseEmail(input.email))
    .where('status', '=', 'active')
    .executeTakeFirst();
  const passwordOk = user?.password_hash ? await deps.hasher.verify(user.password_hash, input.password) : await deps.hasher.dummyVerify(input.password);
  if (!user || !passwordOk) return failed(deps, key, user, 'invalid_credentials', input.request);
  return { user, key };
}

/**
 * The password half of login on its own (the SMS-code request): the same counter, lock and
 * errors. A right password gives the reservation back but does not reset the count, so it
 * cannot clear the failures of wrong one-time codes.
 */
export async function verifyLoginPassword(deps: IdentityDeps, input: { email: string; password: string; request: RequestContext }): Promise<Selectable<UsersTable>> {
  const { user, key } = await checkCredentials(deps, input);
  await giveBackSlot(deps, key);
  return user;
}

/**
 * A second factor of a signed-in account checked as a current factor (turning MFA off), under
 * login's failure counter: `attempt` answers undefined for a wrong code, which counts as a
 * failed one-time code (401 invalid_otp, then the lock), so a stolen session cannot guess
 * six digits faster than a login could.
 */
export async function countedSecondFactor<T>(deps: IdentityDeps, user: Selectable<UsersTable>, request: RequestContext, attempt: () => Promise<T | undefined>): Promise<T> {
  const key = emailHash(user.email_normalized ?? '');
  await takeUnlockedSlot(deps, key, request);
  const outcome = await attempt();
  if (outcome === undefined) return failed(deps, key, user, 'invalid_otp', request);
  await giveBackSlot(deps, key);
  return outcome;
}

/**
 * The password of a signed-in account checked as a current factor (a password change), under
 * the same failure counter as login: a stolen session guesses no faster than a login could,
 * and meets the same lock, the same events and the same notice to the owner.
 */
export async function verifyCountedPassword(deps: IdentityDeps, user: Selectable<UsersTable>, password: string, request: RequestContext): Promise<void> {
  const key = emailHash(user.email_normalized ?? '');
  await takeUnlockedSlot(deps, key, request);
  const passwordOk = user.password_hash ? await deps.hasher.verify(user.password_hash, password) : await deps.hasher.dummyVerify(password);
  if (!passwordOk) return failed(deps, key, user, 'invalid_credentials', request);
  await giveBackSlot(deps, key);
}

/**
 * A reservation under the failure limit, or 423 while the email is locked. A refused attempt
 * hands its reservation back in the unit of work that records its `login_failed`.
 */
async function takeUnlockedSlot(deps: IdentityDeps, key: string, request: RequestContext): Promise<void> {
  const lockedSeconds = await reserveAttempt(deps, key);
  if (lockedSeconds === 0) return;
  await deps.uow(async ({ trx, record }) => {
    await endReservation(trx, key);
    record(failureEvent(key, 'locked', request));
  });
  throw identityErrors.accountLocked(lockedSeconds);
}

/**
 * Reserves a place for one attempt and answers the seconds it must wait (0: go ahead). One
 * atomic statement, outside any transaction: it must not hold the row while argon2 runs. An
 * expired lock starts a fresh count; reservations nobody touched for a while were left by a
 * crashed process and are dropped, so they cannot lock an email out for good.
 */
async function reserveAttempt(deps: IdentityDeps, key: string): Promise<number> {
  const { rows } = await sql<{ failures: number; in_flight: number; locked_until: Date | null }>`
    INSERT INTO login_failures AS f (email_hash, in_flight) VALUES (${key}, 1)
    ON CONFLICT (email_hash) DO UPDATE SET
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
async function giveBackSlot(deps: IdentityDeps, key: string): Promise<void> {
  await endReservation(deps.db, key);
}

async function endReservation(db: IdentityDeps['db'], key: string): Promise<void> {
  await sql`UPDATE login_failures SET in_flight = greatest(in_flight - 1, 0) WHERE email_hash = ${key}`.execute(db);
}

/**
 * A wrong credential: in one unit of work the reservation becomes a counted failure, its
 * `login_failed` is recorded and, at the limit, the lock and `identity.user.locked` too.
 * The owner is told after commit, so nobody hears of a lock that rolled back.
 */
async function failed(
  deps: IdentityDeps,
  key: string,
  user: Selectable<UsersTable> | undefined,
  reason: 'invalid_credentials' | 'invalid_otp',
  request: RequestContext,
): Promise<never> {
  const until = new Date(deps.now().getTime() + lockoutPolicy.lockSeconds * 1000);
  let locked: boolean;
  try {
    locked = await deps.uow(async ({ trx, record }) => {
      // An upsert: an unlock may have deleted the row while the password was checked.
      const { rows } = await sql<{ failures: number }>`
        INSERT INTO login_failures AS f (email_hash, failures) VALUES (${key}, 1)
        ON CONFLICT (email_hash) DO UPDATE SET failures = f.failures + 1, in_flight = greatest(f.in_flight - 1, 0), updated_at = now()
        RETURNING failures`.execute(trx);
      record(failureEvent(key, reason, request));
      if (rows[0]!.failures < lockoutPolicy.maxFailures) return false;
      await trx.updateTable('login_failures').set({ locked_until: until }).where('email_hash', '=', key).execute();
      if (user) record(createEvent('identity.user.locked', { subject: { type: 'user', id: user.id }, actor: null, data: { userId: user.id, until: until.toISOString() } }));
      return true;
    });
  } catch (err) {
    // Neither the failure nor its event committed: the attempt ends uncounted. Its caller
    // must see the original error; a reservation this cannot give back is dropped as abandoned.
    await giveBackSlot(deps, key).catch(() => undefined);
    throw err;
  }
  if (!locked) throw reason === 'invalid_otp' ? identityErrors.invalidOtp() : identityErrors.invalidCredentials();
  if (user?.email) await deps.notifier.send({ to: { email: user.email }, template: 'account_locked', data: { until: until.toISOString() } });
  throw identityErrors.accountLocked(lockoutPolicy.lockSeconds);
}

function failureEvent(key: string, reason: 'invalid_credentials' | 'invalid_otp' | 'locked', request: RequestContext) {
  return createEvent('identity.user.login_failed', { subject: { type: 'email', id: key.slice(0, 64) }, actor: null, data: { emailHash: key, reason, ip: request.ip } });
}
