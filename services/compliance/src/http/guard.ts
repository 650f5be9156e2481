import type { Permission } from '@elcorp/contracts';
import { principalOf } from '@elcorp/auth/fastify';
import { authorize as decide } from '@elcorp/authz';
import type { FastifyRequest } from 'fastify';

/** The verified caller, set by the platform auth plugin. */
export function callerOf(request: FastifyRequest): { userId: string; roles: string[] } {
  return principalOf(request);
}

export interface ResourceRef {
  type: 'AuditLog' | 'Incident' | 'Report';
  id: string;
}

/** Refuses with 403 `authz.denied` unless the policies let the caller do `action` on the resource. */
export async function authorize(request: FastifyRequest, action: Permission, resource: ResourceRef): Promise<void> {
  await decide(request, action, resource);
}
