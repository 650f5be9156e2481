import { createEvent, type DomainEvent } from '@elcorp/contracts';
import { sql, type Transaction } from '@elcorp/db';
import { appendToOutbox } from '@elcorp/messaging';
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
 * Every attempt first takes a slot in the failure counter, in one atomic statement, and
 * gives it back only when the credentials prove right: however many attempts run in
 * parallel, at most `maxFailures` passwords are ever checked before the lock.
 */
export async function login(deps: IdentityDeps, input: LoginInput, secondFactor: SecondFactorCheck): Promise<{ pair: TokenPair; user: Selectable<UsersTable>; roles: string[] }> {
  const { user, key, failures } = await checkCredentials(deps, input);
  if (user.mfa_enabled && !input.otp) {
    await giveBackSlot(deps, key);
    throw identityErrors.mfaRequired();
  }

  const sign = await deps.tokens.signer();
  const outcome = await deps.db.transaction().execute(async (trx) => {
    if (user.mfa_enabled && !(await secondFactor(trx, user, input.otp!))) return undefined;
    const loggedInAt = deps.now();
    await trx.updateTable('users').set({ last_login_at: loggedInAt }).where('id', '=', user.id).execute();
    user.last_login_at = loggedInAt;
    await trx.updateTable('login_failures').set({ failures: 0, locked_until: null, updated_at: deps.now() }).where('email_hash', '=', key).execute();
    const roles = await rolesOf(trx, user.id);
    const pair = await openSession(deps, trx, sign, { userId: user.id, jkt: input.jkt, deviceName: input.deviceName ?? 'unnamed device', roles, request: input.request });
    return { pair, roles };
  });
  if (!outcome) return failed(deps, key, failures, user, 'invalid_otp', input.request);
  return { ...outcome, user };
}

/** Email and password under the failure counter; on success the caller holds the slot. */
async function checkCredentials(deps: IdentityDeps, input: { email: string; password: string; request: RequestContext }) {
  const key = emailHash(input.email);
  const slot = await takeUnlockedSlot(deps, key, input.request);
  const user = await deps.db
    .selectFrom('users')
    .selectAll()
    .where('email_normalized', '=', normaliseEmail(input.email))
    .where('status', '=', 'active')
    .executeTakeFirst();
  const passwordOk = user?.password_hash ? await deps.hasher.verify(user.password_hash, input.password) : await deps.hasher.dummyVerify(input.password);
  if (!user || !passwordOk) return failed(deps, key, slot.failures, user, 'invalid_credentials', input.request);
  return { user, key, failures: slot.failures };
}

/**
 * The password half of login on its own (the SMS-code request): the same counter, lock and
 * errors. A right password gives the slot back but does not reset the count, so it cannot
 * clear the failures of wrong one-time codes.
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
  const slot = await takeUnlockedSlot(deps, key, request);
  const outcome = await attempt();
  if (outcome === undefined) return failed(deps, key, slot.failures, user, 'invalid_otp', request);
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
  const slot = await takeUnlockedSlot(deps, key, request);
  const passwordOk = user.password_hash ? await deps.hasher.verify(user.password_hash, password) : await deps.hasher.dummyVerify(password);
  if (!passwordOk) return failed(deps, key, slot.failures, user, 'invalid_credentials', request);
  await giveBackSlot(deps, key);
}

/** A slot in the failure counter, or 423 (recorded) while the email is locked. */
async function takeUnlockedSlot(deps: IdentityDeps, key: string, request: RequestContext): Promise<{ failures: number }> {
  const slot = await takeAttemptSlot(deps, key);
  if (slot.lockedSeconds > 0) {
    await recordFailure(deps, key, 'locked', request);
    throw identityErrors.accountLocked(slot.lockedSeconds);
  }
  return slot;
}

async function takeAttemptSlot(deps: IdentityDeps, key: string): Promise<{ failures: number; lockedSeconds: number }> {
  const { rows } = await sql<{ failures: number; locked_until: Date | null }>`
    INSERT INTO login_failures (email_hash, failures) VALUES (${key}, 1)
    ON CONFLICT (email_hash) DO UPDATE SET
      failures = CASE WHEN login_failures.locked_until <= now() THEN 1 ELSE login_failures.failures + 1 END,
      locked_until = CASE WHEN login_failures.locked_until <= now() THEN NULL ELSE login_failures.locked_until END,
      updated_at = now()
    RETURNING failures, locked_until`.execute(deps.db);
  const row = rows[0]!;
  const lockedSeconds = lockedForSeconds(row.locked_until, deps.now());
  // More attempts in flight than the limit allows: refuse without checking a password.
  if (lockedSeconds === 0 && row.failures > lockoutPolicy.maxFailures) return { failures: row.failures, lockedSeconds: lockoutPolicy.lockSeconds };
  return { failures: row.failures, lockedSeconds };
}

async function giveBackSlot(deps: IdentityDeps, key: string): Promise<void> {
  await sql`UPDATE login_failures SET failures = greatest(failures - 1, 0) WHERE email_hash = ${key}`.execute(deps.db);
}

async function failed(
  deps: IdentityDeps,
  key: string,
  failures: number,
  user: Selectable<UsersTable> | undefined,
  reason: 'invalid_credentials' | 'invalid_otp',
  request: RequestContext,
): Promise<never> {
  if (failures < lockoutPolicy.maxFailures) {
    await recordFailure(deps, key, reason, request);
    throw reason === 'invalid_otp' ? identityErrors.invalidOtp() : identityErrors.invalidCredentials();
  }
  const until = new Date(deps.now().getTime() + lockoutPolicy.lockSeconds * 1000);
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('login_failures').set({ locked_until: until }).where('email_hash', '=', key).execute();
    const events: DomainEvent[] = [failureEvent(key, reason, request)];
    if (user) events.push(createEvent('identity.user.locked', { subject: { type: 'user', id: user.id }, actor: null, data: { userId: user.id, until: until.toISOString() } }));
    await appendToOutbox(trx, deps.names, events);
  });
  if (user?.email) await deps.notifier.send({ to: { email: user.email }, template: 'account_locked', data: { until: until.toISOString() } });
  throw identityErrors.accountLocked(lockoutPolicy.lockSeconds);
}

async function recordFailure(deps: IdentityDeps, key: string, reason: 'invalid_credentials' | 'invalid_otp' | 'locked', request: RequestContext) {
  await deps.db.transaction().execute((trx) => appendToOutbox(trx, deps.names, [failureEvent(key, reason, request)]));
}

function failureEvent(key: string, reason: 'invalid_credentials' | 'invalid_otp' | 'locked', request: RequestContext) {
  return createEvent('identity.user.login_failed', { subject: { type: 'email', id: key.slice(0, 64) }, actor: null, data: { emailHash: key, reason, ip: request.ip } });
}
