import { systemPermissionsOf, type Permission } from '@elcorp/contracts';
import { AppError } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';

/** The verified caller, set by the platform auth plugin. */
export interface Caller {
  userId: string;
  roles: string[];
}

export function callerOf(request: FastifyRequest): Caller {
  const principal = (request as FastifyRequest & { principal?: Caller }).principal;
  if (!principal) throw new Error(`${request.method} ${request.url} is not behind authentication`);
  return principal;
}

export interface ResourceRef {
  type: 'AuditLog' | 'Incident' | 'Report';
  id: string;
}

/** Refuses with 403 `authz.denied` unless the caller may do `action` on the resource. */
export async function authorize(request: FastifyRequest, action: Permission, _resource: ResourceRef): Promise<void> {
  if (!systemPermissionsOf(callerOf(request).roles).has(action)) {
    throw new AppError(403, 'authz.denied', 'Forbidden', { detail: `${action} is not permitted here`, extensions: { policies: [] } });
  }
}
