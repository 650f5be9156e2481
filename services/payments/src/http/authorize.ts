import { authzDenied, type Authorizer, type AuthzResource } from '@elcorp/authz';
import type { Permission } from '@elcorp/contracts';
import type { Currency } from '../domain/money.js';
import type { Principal } from '@elcorp/auth';

export interface AuthorizationRequest {
  action: Permission;
  resource: AuthzResource;
  /** A policy can cap transfers: amount in minor units and its currency (API.md, Cedar context). */
  context?: { amountMinor?: number; currency?: Currency };
}

/** Decides one request; routes reach the authorizer only through this. */
export type Decide = (principal: Principal, request: AuthorizationRequest) => { allowed: boolean; policies: string[] };

/** Decisions by @elcorp/authz: the policy bundle governance publishes, evaluated in-process. */
export function authorizerDecider(authorizer: Authorizer): Decide {
  return (principal, request) => {
    const decision = authorizer.decide({
      principal: { userId: principal.userId, roles: principal.roles },
      action: request.action,
      resource: request.resource,
      ...(request.context ? { context: request.context } : {}),
    });
    return { allowed: decision.decision === 'allow', policies: decision.policies };
  };
}

/** 403 authz.denied (with the deciding policy ids) unless allowed. */
export function authorize(decide: Decide, principal: Principal, request: AuthorizationRequest): void {
  const decision = decide(principal, request);
  if (!decision.allowed) throw authzDenied(request.action, decision.policies);
}

export function isAllowed(decide: Decide, principal: Principal, request: AuthorizationRequest): boolean {
  return decide(principal, request).allowed;
}
