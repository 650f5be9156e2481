import type { Selectable, Transaction } from '@elcorp/db';
import { createHash, randomInt } from 'node:crypto';
import { verify as verifyTotp } from 'otplib';
import type { IdentityDB, UsersTable } from '../infrastructure/db/schema.js';
import { verifyLoginPassword, type AttemptContext } from './login.js';
import type { IdentityDeps } from './ports.js';

export const totpSealContext = 'identity.totp-secret';

/** RFC 6238 as API.md fixes it: 30 s steps, 6 digits, one step of drift either way. */
export const totpPolicy = { periodSeconds: 30, toleranceSeconds: 30 } as const;

/** SMS fallback codes: 6 digits, 10 minutes, at most one a minute and five an hour per user. */
export const smsCodePolicy = { ttlSeconds: 10 * 60, minIntervalSeconds: 60, maxPerHour: 5 } as const;

/** One-time codes are stored as SHA-256 bound to the user, never in clear. */
export function hashOneTimeCode(userId: string, code: string): Buffer {
  return createHash('sha256').update(`${userId}:${code.replace(/-/g, '').toUpperCase()}`).digest();
}

/**
 * The time step `otp` was generated for, when it is a code of `secret` within ±1 step of
 * `at` and later than `afterStep` (the last step accepted: a code is accepted once);
 * undefined otherwise. otplib compares in constant time.
 */
export async function matchTotpStep(secret: string, otp: string, at: Date, afterStep: bigint | null = null): Promise<number | undefined> {
  if (!/^\d{6}$/.test(otp)) return undefined;
  const epoch = Math.floor(at.getTime() / 1000);
  const newestStep = Math.floor((epoch + totpPolicy.toleranceSeconds) / totpPolicy.periodSeconds);
  // otplib throws when afterTimeStep lies past the window (a replica's clock behind the
  // one that accepted the last code); every step in the window is spent then anyway.
  if (afterStep !== null && afterStep >= BigInt(newestStep)) return undefined;
  const result = await verifyTotp({
    secret,
    token: otp,
    epoch,
    period: totpPolicy.periodSeconds,
    epochTolerance: totpPolicy.toleranceSeconds,
    ...(afterStep === null ? {} : { afterTimeStep: Number(afterStep) }),
  });
  return result.valid && 'timeStep' in result ? (result.timeStep as number) : undefined;
}

/**
 * Checks `otp` as a TOTP code (RFC 6238, 30 s, ±1 step), an SMS code, or a recovery code.
 * Every acceptance is a conditional UPDATE, so a code is accepted once even when two
 * logins race with it.
 */
export async function verifySecondFactor(deps: IdentityDeps, trx: Transaction<IdentityDB>, user: Selectable<UsersTable>, otp: string): Promise<boolean> {
  if (/^\d{6}$/.test(otp)) {
    return (await acceptTotp(deps, trx, user, otp)) || (await acceptSmsCode(deps, trx, user.id, otp));
  }
  const used = await trx
    .updateTable('recovery_codes')
    .set({ used_at: deps.now() })
    .where('user_id', '=', user.id)
    .where('code_hash', '=', hashOneTimeCode(user.id, otp))
    .where('used_at', 'is', null)
    .returning('user_id')
    .executeTakeFirst();
  return used !== undefined;
}

async function acceptTotp(deps: IdentityDeps, trx: Transaction<IdentityDB>, user: Selectable<UsersTable>, otp: string): Promise<boolean> {
  if (!user.totp_secret_enc) return false;
  const secret = deps.secrets.open(user.totp_secret_enc, totpSealContext).toString('utf8');
  const matched = await matchTotpStep(secret, otp, deps.now(), user.totp_last_step);
  if (matched === undefined) return false;
  const step = BigInt(matched);
  const claimed = await trx
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', user.id)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .returning('id')
    .executeTakeFirst();
  return claimed !== undefined;
}

async function acceptSmsCode(deps: IdentityDeps, trx: Transaction<IdentityDB>, userId: string, otp: string): Promise<boolean> {
  const used = await trx
    .updateTable('sms_codes')
    .set({ used_at: deps.now() })
    .where('user_id', '=', userId)
    .where('code_hash', '=', hashOneTimeCode(userId, otp))
    .where('used_at', 'is', null)
    .where('expires_at', '>', deps.now())
    .returning('user_id')
    .executeTakeFirst();
  return used !== undefined;
}

/**
 * POST /auth/mfa/sms: login's password check (same counter, lock and errors), then a code
 * by SMS when the account has TOTP and a phone. Nothing in the answer depends on which.
 */
export async function requestSmsCode(deps: IdentityDeps, input: { email: string; password: string } & AttemptContext): Promise<void> {
  const user = await verifyLoginPassword(deps, input);
  await sendSmsCode(deps, user.id);
}

/**
 * The SMS fallback: a fresh code to the phone of an account that has TOTP, within the rate
 * limits. Anything else (no TOTP, no phone, over a limit) sends nothing, and the caller
 * answers the same either way, so the answer tells nothing about the account.
 */
export async function sendSmsCode(deps: IdentityDeps, userId: string): Promise<void> {
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const now = deps.now();
  const phone = await deps.uow(async ({ trx }) => {
    // The row lock serialises one user's requests, so parallel ones cannot pass a limit.
    const user = await trx.selectFrom('users').select(['phone', 'mfa_enabled', 'totp_secret_enc']).where('id', '=', userId).forUpdate().executeTakeFirst();
    if (!user?.phone || !user.mfa_enabled || !user.totp_secret_enc) return undefined;
    const hourAgo = new Date(now.getTime() - 3600 * 1000);
    const recent = await trx
      .selectFrom('sms_codes')
      .select((eb) => [eb.fn.countAll<string>().as('sent'), eb.fn.max('created_at').as('latest')])
      .where('user_id', '=', userId)
      .where('created_at', '>', hourAgo)
      .executeTakeFirstOrThrow();
    const tooSoon = recent.latest !== null && now.getTime() - new Date(recent.latest).getTime() < smsCodePolicy.minIntervalSeconds * 1000;
    if (tooSoon || Number(recent.sent) >= smsCodePolicy.maxPerHour) return undefined;
    // Rows older than the rate window are long expired: dropping them keeps the table bounded.
    await trx.deleteFrom('sms_codes').where('user_id', '=', userId).where('created_at', '<=', hourAgo).execute();
    // Only the newest code is live, so a guesser never has several targets at once.
    await trx.updateTable('sms_codes').set({ expires_at: now }).where('user_id', '=', userId).where('used_at', 'is', null).where('expires_at', '>', now).execute();
    await trx
      .insertInto('sms_codes')
      .values({ user_id: userId, code_hash: hashOneTimeCode(userId, code), created_at: now, expires_at: new Date(now.getTime() + smsCodePolicy.ttlSeconds * 1000) })
      .execute();
    return user.phone;
  });
  // After commit: a code is only ever sent once it can be accepted.
  if (phone) await deps.notifier.send({ to: { phone }, template: 'mfa_sms_code', data: { code, expiresInMinutes: String(smsCodePolicy.ttlSeconds / 60) } });
}
