import { createEvent, type Actor } from '@elcorp/contracts';
import { randomInt } from 'node:crypto';
import { generateSecret, generateURI } from 'otplib';
import { IdentityError, identityErrors } from '../domain/errors.js';
import { countedSecondFactor, type AttemptContext } from './login.js';
import { hashOneTimeCode, matchTotpStep, totpSealContext, verifySecondFactor } from './mfa.js';
import type { IdentityDeps } from './ports.js';

export const totpIssuer = 'Elcorp';
export const recoveryCodeCount = 10;
/** No 0/O, 1/I/L: codes are read off paper. 31 symbols, 10 of them: about 49 bits. */
const recoveryAlphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** Ten fresh recovery codes shown as two groups of five characters joined by a dash (hashOneTimeCode ignores the dash and case). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: recoveryCodeCount }, () => {
    const symbols = Array.from({ length: 10 }, () => recoveryAlphabet[randomInt(recoveryAlphabet.length)]).join('');
    return `${symbols.slice(0, 5)}-${symbols.slice(5)}`;
  });
}

/**
 * Starts TOTP set-up: a new secret, kept sealed as the pending one until a code proves the
 * authenticator has it. Refused while TOTP is on: replacing the active secret must go
 * through turning it off, which asks for a current factor.
 */
export async function beginTotpSetup(deps: IdentityDeps, userId: string): Promise<{ secret: string; otpauthUri: string }> {
  const secret = generateSecret();
  const user = await deps.db
    .updateTable('users')
    .set({ totp_pending_secret_enc: deps.secrets.seal(secret, totpSealContext), updated_at: deps.now() })
    .where('id', '=', userId)
    .where('status', '=', 'active')
    .where('mfa_enabled', '=', false)
    .returning('email')
    .executeTakeFirst();
  if (!user) throw identityErrors.mfaAlreadyEnabled();
  return { secret, otpauthUri: generateURI({ issuer: totpIssuer, label: user.email ?? userId, secret }) };
}

/**
 * Confirms set-up with a code of the pending secret, a second-factor check counted like a
 * login's one-time code under the session device's count. In one transaction the secret
 * becomes the active one, the code's step is spent (it cannot log in again), the recovery
 * codes are replaced and identity.mfa.enabled is written to the outbox.
 */
export async function confirmTotp(deps: IdentityDeps, userId: string, otp: string, actor: Actor, context: AttemptContext): Promise<string[]> {
  const codes = newRecoveryCodes();
  const owner = await deps.db.selectFrom('users').selectAll().where('id', '=', userId).where('status', '=', 'active').executeTakeFirst();
  if (!owner?.totp_pending_secret_enc) throw noPendingSetup();
  return countedSecondFactor(deps, owner, context, () => deps.uow(async ({ trx, record }) => {
    const user = await trx.selectFrom('users').select('totp_pending_secret_enc').where('id', '=', userId).where('status', '=', 'active').forUpdate().executeTakeFirst();
    const pending = user?.totp_pending_secret_enc;
    if (!pending) throw noPendingSetup();
    const step = await matchTotpStep(deps.secrets.open(pending, totpSealContext).toString('utf8'), otp, deps.now());
    if (step === undefined) return undefined;
    await trx
      .updateTable('users')
      .set({ totp_secret_enc: pending, totp_pending_secret_enc: null, totp_last_step: BigInt(step), mfa_enabled: true, updated_at: deps.now() })
      .where('id', '=', userId)
      .execute();
    await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await trx
      .insertInto('recovery_codes')
      .values(codes.map((code) => ({ user_id: userId, code_hash: hashOneTimeCode(userId, code) })))
      .execute();
    record(mfaEvent('identity.mfa.enabled', userId, actor));
    return codes;
  }));
}

function noPendingSetup(): IdentityError {
  return new IdentityError('identity.invalid_otp', 'no TOTP set-up is pending; start one with POST /api/v1/users/me/mfa/totp');
}

/**
 * Turns TOTP off with a current factor (a TOTP, SMS or unused recovery code), counted like a
 * login's one-time code. Clears the secrets, the recovery codes and unused SMS codes.
 */
export async function disableTotp(deps: IdentityDeps, userId: string, otp: string, actor: Actor, context: AttemptContext): Promise<void> {
  const user = await deps.db.selectFrom('users').selectAll().where('id', '=', userId).where('status', '=', 'active').executeTakeFirst();
  if (!user) throw identityErrors.userNotFound();
  await countedSecondFactor(deps, user, context, () =>
    deps.uow(async ({ trx, record }) => {
      // Re-read under the row lock: the factor is checked against the state it changes.
      const current = await trx.selectFrom('users').selectAll().where('id', '=', userId).forUpdate().executeTakeFirstOrThrow();
      if (!current.mfa_enabled || !(await verifySecondFactor(deps, trx, current, otp))) return undefined;
      await trx
        .updateTable('users')
        .set({ mfa_enabled: false, totp_secret_enc: null, totp_pending_secret_enc: null, totp_last_step: null, updated_at: deps.now() })
        .where('id', '=', userId)
        .execute();
      await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      await trx.deleteFrom('sms_codes').where('user_id', '=', userId).where('used_at', 'is', null).execute();
      record(mfaEvent('identity.mfa.disabled', userId, actor));
      return true;
    }),
  );
}

function mfaEvent(type: 'identity.mfa.enabled' | 'identity.mfa.disabled', userId: string, actor: Actor) {
  return createEvent(type, { subject: { type: 'user', id: userId }, actor, data: { userId, method: 'totp' } });
}
