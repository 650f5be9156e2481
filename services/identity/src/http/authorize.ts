import { authorize, requirePermission, type AuthzResource } from '@elcorp/authz';
import type { Permission } from '@elcorp/contracts';
import { AppError } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';

/*
 * Every permission check in identity is a Cedar decision of @elcorp/authz over the bundle
 * governance publishes (the built-in system bundle until the first arrives). The helpers read
 * `request.principal`, which only `authenticate` sets: a route authorised without being
 * authenticated fails loudly instead of deciding for nobody.
 */

/**
 * A user account as a Cedar resource: `Elcorp::User::"<id>"`. Its owner is the account
 * holder, given as `owner` like every owned resource of the vocabulary.
 */
export function userResource(userId: string): AuthzResource {
  return { type: 'User', id: userId, attributes: { owner: userId } };
}

/** Routes over the whole user directory (listing) name no single user. */
export const anyUser: AuthzResource = { type: 'User', id: '*' };

/** A preHandler, after `authenticate`: 403 `authz.denied` with the deciding policies unless `action` is allowed on the user in `:id`. */
export function requireOnUser(action: Permission) {
  return requirePermission(action, (request) => userResource((request.params as { id: string }).id));
}

/** A preHandler, after `authenticate`, for actions over the directory as a whole. */
export function requireOnDirectory(action: Permission) {
  return requirePermission(action, anyUser);
}

/**
 * Whether the caller may read another user's account. The default deny (no role grants
 * `user:read`) answers `false`, so the route can hide the account's existence behind a 404;
 * a denial decided by a custom forbid policy is rethrown as the 403 naming it.
 */
export async function mayReadUser(request: FastifyRequest, userId: string): Promise<boolean> {
  try {
    await authorize(request, 'user:read', userResource(userId));
    return true;
  } catch (err) {
    const decidedByPolicy = err instanceof AppError && Array.isArray(err.extensions['policies']) && err.extensions['policies'].length > 0;
    if (err instanceof AppError && err.code === 'authz.denied' && !decidedByPolicy) return false;
    throw err;
  }
}
