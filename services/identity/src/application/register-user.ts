import { createEvent, uuidv7 } from '@elcorp/contracts';
import { normaliseEmail } from '../domain/email.js';
import { identityErrors } from '../domain/errors.js';
import type { IdentityDeps } from './ports.js';

export interface Registration {
  email: string;
  password: string;
  fullName: string;
  phone: string;
}

export async function registerUser(deps: IdentityDeps, input: Registration) {
  const violations = await deps.checkPassword(input.password, { email: input.email, fullName: input.fullName });
  if (violations.length > 0) {
    throw identityErrors.weakPassword(violations.map((v) => ({ path: 'body.password', message: `${v.rule}: ${v.message}` })));
  }
  const emailNormalized = normaliseEmail(input.email);
  // Hash outside the transaction: argon2 takes milliseconds and must not hold a connection.
  const passwordHash = await deps.hasher.hash(input.password);
  const id = uuidv7();
  const bootstrapEmail = deps.bootstrapAdminEmail !== undefined && normaliseEmail(deps.bootstrapAdminEmail) === emailNormalized;
  try {
    return await deps.uow(async ({ trx, record }) => {
      // The bootstrap email makes the first admin only: once any admin has existed (the
      // fact outlives that admin's erasure), registering it again makes an ordinary user.
      const adminHasExisted = bootstrapEmail && (await trx.selectFrom('admin_has_existed').select('singleton').executeTakeFirst()) !== undefined;
      const roles = bootstrapEmail && !adminHasExisted ? ['user', 'admin'] : ['user'];
      const user = await trx
        .insertInto('users')
        .values({ id, email: input.email.trim(), email_normalized: emailNormalized, full_name: input.fullName, phone: input.phone, password_hash: passwordHash })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx.insertInto('password_history').values({ user_id: id, password_hash: passwordHash }).execute();
      await trx.insertInto('user_roles').values(roles.map((role) => ({ user_id: id, role }))).execute();
      const event = createEvent('identity.user.registered', {
        subject: { type: 'user', id },
        actor: null,
        data: { userId: id, email: user.email!, fullName: input.fullName, phone: input.phone },
      });
      record(event);
      return { user, roles };
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw identityErrors.emailTaken();
    throw err;
  }
}
