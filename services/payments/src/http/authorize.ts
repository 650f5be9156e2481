import { systemPermissionsOf, type Permission } from '@elcorp/contracts';
import { AppError } from '@elcorp/kit';
import type { Currency } from '../domain/money.js';
import type { Principal } from './principal.js';

export interface AuthorizationRequest {
  action: Permission;
  resource: { type: string; id: string; attributes?: { owner?: string | null } };
  /** A policy can cap transfers: amount in minor units and its currency. */
  context?: { amountMinor?: number; currency?: Currency };
}

/** Decides one request; the port @elcorp/authz's Authorizer fills once it is merged. */
export type Decide = (principal: Principal, request: AuthorizationRequest) => Promise<{ allowed: boolean; policies: string[] }>;

/** Until the Cedar bundle is wired in: the permissions of the token's system roles. */
export const systemRoleDecider: Decide = async (principal, request) => ({ allowed: systemPermissionsOf(principal.roles).has(request.action), policies: [] });

export function denied(request: AuthorizationRequest, policies: string[]): AppError {
  return new AppError(403, 'authz.denied', 'Forbidden', { detail: `not allowed to ${request.action}`, extensions: { policies } });
}

/** 403 authz.denied unless allowed. */
export async function authorize(decide: Decide, principal: Principal, request: AuthorizationRequest): Promise<void> {
  const decision = await decide(principal, request);
  if (!decision.allowed) throw denied(request, decision.policies);
}

export async function isAllowed(decide: Decide, principal: Principal, request: AuthorizationRequest): Promise<boolean> {
  return (await decide(principal, request)).allowed;
}
