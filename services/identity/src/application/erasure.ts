import { createEvent, type Actor } from '@elcorp/contracts';
import type { Transaction } from '@elcorp/db';
import { identityErrors } from '../domain/errors.js';
import type { IdentityDB } from '../infrastructure/db/schema.js';
import { verifyCountedPassword, type AttemptContext } from './login.js';
import type { IdentityDeps } from './ports.js';
import { announceRevocations, revokeSessions } from './sessions.js';

export interface ErasureReceipt {
  id: string;
  status: 'erased';
}

/**
 * GDPR erasure (API.md): the profile's PII and every credential go in one transaction with
 * the revocation of all sessions and `identity.user.erased`. The row and its id stay, so
 * references from other contexts (payments, audit) survive without PII; the email becomes
 * registrable again. Erasing an erased user changes nothing and publishes nothing.
 */
export async function eraseUser(deps: IdentityDeps, userId: string, actor: Actor): Promise<ErasureReceipt> {
  const revoked = await deps.uow(async (uow) => {
    const { trx, record } = uow;
    // The row lock orders erasure against a concurrent role assignment or profile change.
    const user = await trx.selectFrom('users').select(['status', 'email_normalized']).where('id', '=', userId).forUpdate().executeTakeFirst();
    if (!user) throw identityErrors.userNotFound();
    if (user.status === 'erased') return [];
    await scrub(deps, trx, userId, user.email_normalized);
    const sessions = await revokeSessions(deps, uow, { userId }, 'erasure', actor);
    record(createEvent('identity.user.erased', { subject: { type: 'user', id: userId }, actor, data: { userId, by: actor.userId } }));
    return sessions;
  });
  await announceRevocations(deps, revoked);
  return { id: userId, status: 'erased' };
}

/**
 * The owner's own erasure asks for the password, as any irreversible change should, counted
 * under the session device's failure count like a login: a stolen session cannot use it to
 * guess the password without limit.
 */
export async function eraseOwnAccount(deps: IdentityDeps, userId: string, password: string, actor: Actor, context: AttemptContext): Promise<ErasureReceipt> {
  const user = await deps.db.selectFrom('users').selectAll().where('id', '=', userId).where('status', '=', 'active').executeTakeFirst();
  if (!user) throw identityErrors.invalidCredentials();
  await verifyCountedPassword(deps, user, password, context);
  return eraseUser(deps, userId, actor);
}

async function scrub(deps: IdentityDeps, trx: Transaction<IdentityDB>, userId: string, emailNormalized: string | null): Promise<void> {
  const now = deps.now();
  await trx
    .updateTable('users')
    .set({
      email: null,
      email_normalized: null,
      full_name: null,
      phone: null,
      password_hash: null,
      totp_secret_enc: null,
      totp_pending_secret_enc: null,
      totp_last_step: null,
      mfa_enabled: false,
      status: 'erased',
      erased_at: now,
      updated_at: now,
    })
    .where('id', '=', userId)
    .execute();
  await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  await trx.deleteFrom('sms_codes').where('user_id', '=', userId).execute();
  await trx.deleteFrom('password_resets').where('user_id', '=', userId).execute();
  await trx.deleteFrom('password_history').where('user_id', '=', userId).execute();
  // An erased account holds no roles; the projection ignores later assignments to it.
  await trx.deleteFrom('user_roles').where('user_id', '=', userId).execute();
  // The failure counts (every device's) are keyed by a hash of the email: personal data too.
  if (emailNormalized !== null) await trx.deleteFrom('login_failures').where('email_hash', '=', deps.emailHash(emailNormalized)).execute();
  // Where and how the person signed in is personal data; the session rows stay for audit.
  await trx.updateTable('sessions').set({ ip: null, user_agent: null, device_name: 'erased' }).where('user_id', '=', userId).execute();
}
