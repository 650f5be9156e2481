import { systemPermissionsOf, type Permission } from '@elcorp/contracts';
import { AppError } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';
import { principalOf, type Principal } from './principal.js';

/**
 * Until governance publishes its Cedar bundle, permissions come from the system roles the
 * access token carries (a role assigned or revoked shows in the caller's next token).
 */
export function hasPermission(principal: Principal, permission: Permission): boolean {
  return systemPermissionsOf(principal.roles).has(permission);
}

/**
 * 403 `authz.denied` (API.md, Governance). `policies` lists the deciding policy ids; with
 * system roles only, a denial is the default deny, which no policy decides.
 */
export function denied(permission: Permission): AppError {
  return new AppError(403, 'authz.denied', 'Forbidden', { detail: `requires the ${permission} permission`, extensions: { policies: [] } });
}

/** A preHandler, after `authenticate`, refusing callers without `permission`. */
export function requirePermission(permission: Permission) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!hasPermission(principalOf(request), permission)) throw denied(permission);
  };
}
