import type { Selectable, Transaction } from '@elcorp/db';
import { createHash } from 'node:crypto';
import { verify as verifyTotp } from 'otplib';
import type { IdentityDB, UsersTable } from '../infrastructure/db/schema.js';
import type { IdentityDeps } from './ports.js';

export const totpSealContext = 'identity.totp-secret';

/** One-time codes are stored as SHA-256 bound to the user, never in clear. */
export function hashOneTimeCode(userId: string, code: string): Buffer {
  return createHash('sha256').update(`${userId}:${code.replace(/-/g, '').toUpperCase()}`).digest();
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
  const result = await verifyTotp({
    secret,
    token: otp,
    epoch: Math.floor(deps.now().getTime() / 1000),
    epochTolerance: 30,
    ...(user.totp_last_step === null ? {} : { afterTimeStep: Number(user.totp_last_step) }),
  });
  if (!result.valid || !('timeStep' in result)) return false;
  const step = BigInt(result.timeStep as number);
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
