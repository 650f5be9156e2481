import { CompiledQuery, preparedMarker, type Selectable, type Transaction } from '@elcorp/db';
import { normaliseEmail } from '../domain/email.js';
import { identityErrors } from '../domain/errors.js';
import type { IdentityDB, UsersTable } from '../infrastructure/db/schema.js';
import { deviceCountOf, lockoutPolicy, sharedCount } from '../domain/lockout.js';
import { checkedUnderReservation, countForDevice, failed, giveBackSlot, refuseWhileLocked, reservationConflictSql, takeUnlockedSlot, type AttemptCount, type Reservation } from './attempts.js';
import type { IdentityDeps, RequestContext } from './ports.js';
import { openSession, type TokenPair } from './sessions.js';

export interface LoginInput {
  email: string;
  password: string;
  otp?: string;
  deviceName?: string;
  jkt: string;
  request: RequestContext;
}

/** The device and request facts of a counted check: which count it falls under, what to record. */
export interface AttemptContext {
  /** Thumbprint of the DPoP key the request proved; absent where no proof is asked (reset). */
  jkt: string;
  request: RequestContext;
}

/** Checks a second factor inside the login transaction; returns false when it is wrong. */
export type SecondFactorCheck = (trx: Transaction<IdentityDB>, user: Selectable<UsersTable>, otp: string) => Promise<boolean>;

/**
 * Password (and second factor) login bound to the device key of the DPoP proof.
 * Every attempt first reserves a place under the failure limit of its count (the device's
 * own when it has signed in to the account before, else the shared one), in one atomic
 * statement, before any password is checked: however many attempts run in parallel, at
 * most `maxFailures` passwords are ever checked before the lock. A wrong credential turns
 * its reservation into a counted failure in the unit of work that records its
 * `identity.user.login_failed` (and the lock with `identity.user.locked`), so the count and
 * the events commit together or not at all; a right one gives the reservation back.
 */
export async function login(deps: IdentityDeps, input: LoginInput, secondFactor: SecondFactorCheck): Promise<{ pair: TokenPair; user: Selectable<UsersTable>; roles: string[] }> {
  const { user, count } = await checkCredentials(deps, input);
  if (user.mfa_enabled && !input.otp) {
    await giveBackSlot(deps, count);
    throw identityErrors.mfaRequired();
  }

  const sign = await deps.tokens.signer();
  const session = { userId: user.id, jkt: input.jkt, deviceName: input.deviceName ?? 'unnamed device', count, request: input.request };
  // Without a second factor the success is one statement, sent without BEGIN and COMMIT; the
  // second factor's check needs the transaction (it records the code as used).
  const outcome = user.mfa_enabled
    ? await deps.uow(async (uow) => ((await secondFactor(uow.trx, user, input.otp!)) ? openSession(deps, uow, sign, session) : undefined))
    : await deps.uowInOneStatement((uow) => openSession(deps, uow, sign, session));
  if (!outcome) return failed(deps, count, user, 'invalid_otp', input.request);
  user.last_login_at = outcome.loggedInAt;
  return { pair: outcome.pair, roles: outcome.roles, user };
}

/** Email and password under the device's failure count; on success the caller holds the reservation. */
async function checkCredentials(deps: IdentityDeps, input: { email: string; password: string } & AttemptContext) {
  const emailNormalized = normaliseEmail(input.email);
  const { user: found, count, reservation } = await reserveForAccount(deps, emailNormalized, input.jkt);
  await refuseWhileLocked(deps, count, reservation, input.request);
  // Reserved under the device's own count only when the device has signed in to this account.
  const knownDevice = count.scope !== sharedCount;
  const passwordOk = await checkedUnderReservation(deps, count, () => (found?.password_hash ? deps.hasher.verify(found.password_hash, input.password, { knownDevice }) : deps.hasher.dummyVerify(input.password)));
  if (!found || !passwordOk) return failed(deps, count, found, 'invalid_credentials', input.request);
  return { user: found, count };
}

/**
 * Every column of a user, named: a prepared statement that selected `users.*` would fail on
 * each connection that prepared it once a migration added a column (its result type changed).
 */
const userColumnNames = [
  'id', 'email', 'email_normalized', 'full_name', 'phone', 'password_hash', 'status', 'mfa_enabled',
  'totp_secret_enc', 'totp_pending_secret_enc', 'totp_last_step', 'created_at', 'updated_at', 'last_login_at', 'erased_at',
] as const satisfies ReadonlyArray<keyof UsersTable>;
// Typed never (so the assignment fails to compile) when UsersTable has a column the list lacks.
const userColumns: [Exclude<keyof UsersTable, (typeof userColumnNames)[number]>] extends [never] ? string : never = userColumnNames
  .map((column) => `users.${column}`)
  .join(', ');

/**
 * The active account of an email, whether the device has ever opened a session of it, and a
 * reservation under the count that this decides (the device's own when it has, else the
 * shared one), in one atomic statement: one round trip where there were two. Unknown emails
 * run the same statement and fall under the shared count. `email_normalized` is unique, so
 * `account` holds at most one row. Prepared on each connection, as every login runs it.
 */
const reserveForAccountSql = `${preparedMarker} WITH account AS (
    SELECT ${userColumns}, EXISTS (SELECT 1 FROM sessions WHERE sessions.user_id = users.id AND sessions.jkt = $2) AS device_known
    FROM users WHERE email_normalized = $1 AND status = 'active'
  ), reserved AS (
    INSERT INTO login_failures AS f (email_hash, scope, in_flight)
    VALUES ($3, CASE WHEN EXISTS (SELECT 1 FROM account WHERE device_known) THEN $4 ELSE $5 END, 1)
    ${reservationConflictSql('$6')}
  )
  SELECT reserved.scope AS reserved_scope, reserved.failures AS reserved_failures, reserved.in_flight AS reserved_in_flight, reserved.locked_until AS reserved_locked_until, account.*
  FROM reserved LEFT JOIN account ON true`;

type ReserveForAccountRow = { reserved_scope: string; reserved_failures: number; reserved_in_flight: number; reserved_locked_until: Date | null; device_known: boolean | null } & (
  | Selectable<UsersTable>
  | { [column in keyof Selectable<UsersTable>]: null }
);

async function reserveForAccount(deps: IdentityDeps, emailNormalized: string, jkt: string): Promise<{ user: Selectable<UsersTable> | undefined; count: AttemptCount; reservation: Reservation }> {
  const key = deps.emailHash(emailNormalized);
  const { rows } = await deps.db.executeQuery<ReserveForAccountRow>(
    CompiledQuery.raw(reserveForAccountSql, [emailNormalized, jkt, key, deviceCountOf(jkt), sharedCount, lockoutPolicy.abandonedAttemptSeconds]),
  );
  const { reserved_scope, reserved_failures, reserved_in_flight, reserved_locked_until, device_known: _, ...account } = rows[0]!;
  return {
    user: account.id === null ? undefined : (account as Selectable<UsersTable>),
    // The count the statement chose and reserved under.
    count: { key, scope: reserved_scope },
    reservation: { failures: reserved_failures, in_flight: reserved_in_flight, locked_until: reserved_locked_until },
  };
}

/**
 * The password half of login on its own (the SMS-code request): the same count, lock and
 * errors. A right password gives the reservation back but does not reset the count, so it
 * cannot clear the failures of wrong one-time codes.
 */
export async function verifyLoginPassword(deps: IdentityDeps, input: { email: string; password: string } & AttemptContext): Promise<Selectable<UsersTable>> {
  const { user, count } = await checkCredentials(deps, input);
  await giveBackSlot(deps, count);
  return user;
}

/** The count of a signed-in account's own device (the session's key has signed in, so it is known). */
async function countOfSignedIn(deps: IdentityDeps, user: Selectable<UsersTable>, jkt: string): Promise<AttemptCount> {
  return countForDevice(deps, user.email_normalized ?? '', user.id, jkt);
}

/**
 * A second factor of a signed-in account checked as a current factor (MFA set-up and turning
 * it off), under login's failure count of the session's device: `attempt` answers undefined
 * for a wrong code, which counts as a failed one-time code (401 invalid_otp, then the lock),
 * so a stolen session cannot guess six digits faster than a login could.
 */
export async function countedSecondFactor<T>(deps: IdentityDeps, user: Selectable<UsersTable>, context: AttemptContext, attempt: () => Promise<T | undefined>): Promise<T> {
  const count = await countOfSignedIn(deps, user, context.jkt);
  await takeUnlockedSlot(deps, count, context.request);
  let outcome: T | undefined;
  try {
    outcome = await attempt();
  } catch (err) {
    await giveBackSlot(deps, count);
    throw err;
  }
  if (outcome === undefined) return failed(deps, count, user, 'invalid_otp', context.request);
  await giveBackSlot(deps, count);
  return outcome;
}

/**
 * The password of a signed-in account checked as a current factor (password change,
 * erasure), under the same failure count as a login from the session's device: a stolen
 * session guesses no faster than a login could, and meets the same lock, the same events
 * and the same notice to the owner.
 */
export async function verifyCountedPassword(deps: IdentityDeps, user: Selectable<UsersTable>, password: string, context: AttemptContext): Promise<void> {
  const count = await countOfSignedIn(deps, user, context.jkt);
  await takeUnlockedSlot(deps, count, context.request);
  // A signed-in session's device is known to its account.
  const passwordOk = await checkedUnderReservation(deps, count, () => (user.password_hash ? deps.hasher.verify(user.password_hash, password, { knownDevice: true }) : deps.hasher.dummyVerify(password)));
  if (!passwordOk) return failed(deps, count, user, 'invalid_credentials', context.request);
  await giveBackSlot(deps, count);
}
