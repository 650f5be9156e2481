import { CommandFailure, userIdArgument } from '@elcorp/kit';
import { IdentityError } from '../domain/errors.js';
import { lookupByEmail } from '../application/users.js';
import type { IdentityDeps } from '../application/ports.js';

/** USER on the command line: a user id, or the email of an active account. */
export async function resolveUser(deps: Pick<IdentityDeps, 'db'>, user: string): Promise<string> {
  if (!user.includes('@')) return userIdArgument(user);
  return (await lookupByEmail(deps, user)).id;
}

/** Identity's expected errors are refusals the operator reads, not crashes. */
export function identityFailure(error: unknown): unknown {
  if (error instanceof IdentityError) return new CommandFailure(error.code === 'identity.user_not_found' ? 'no such user' : error.message);
  return error;
}
