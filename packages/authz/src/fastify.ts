import type { Principal } from '@elcorp/auth';
import type { Permission } from '@elcorp/contracts';
import { AppError } from '@elcorp/kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authorizer, AuthzDecision, AuthzResource } from './authorizer.js';
import type { Context } from './vocabulary.js';

export interface AuthzRouteOptions {
  /** The client's address for `context.ip` (behind the gateway: what it forwarded). */
  ipOf?: (request: FastifyRequest) => string | undefined;
}

interface AuthzState extends AuthzRouteOptions {
  authorizer: Authorizer;
}

const stateKey = Symbol.for('elcorp.authz');

/** 403 `authz.denied` (API.md, Governance) with the deciding policy ids (none: default deny). */
export function authzDenied(action: Permission, policies: readonly string[]): AppError {
  return new AppError(403, 'authz.denied', 'Forbidden', { detail: `${action} is not permitted here`, extensions: { policies: [...policies] } });
}

/** Makes `authorizer` what `authorize()` and `requirePermission()` decide with in this app. */
export function registerAuthz(app: FastifyInstance, authorizer: Authorizer, options: AuthzRouteOptions = {}): void {
  const state: AuthzState = { authorizer, ...options };
  app.decorate(stateKey, state);
}

function stateOf(request: FastifyRequest): AuthzState {
  const state = (request.server as unknown as Record<symbol, AuthzState | undefined>)[stateKey];
  if (!state) throw new Error('authz is not registered on this app: call registerAuthz(app, authorizer) first');
  return state;
}

/**
 * The authenticated caller. A route is never authorised without being authenticated: with
 * no principal (the auth plugin did not run) this is a bug in the route, not a denial.
 */
function principalOf(request: FastifyRequest): Principal {
  const principal = (request as FastifyRequest & { principal?: Principal }).principal;
  if (!principal) throw new Error('authorize() on a route without an authenticated principal: register the auth plugin first');
  return principal;
}

/**
 * One line per route: `await authorize(request, 'payment:create', { type: 'Account', id,
 * attributes: { owner } }, { amountMinor, currency })`. Resolves with the decision when
 * allowed; throws 403 `authz.denied` otherwise.
 */
export async function authorize(request: FastifyRequest, action: Permission, resource: AuthzResource, context: Partial<Context> = {}): Promise<AuthzDecision> {
  const principal = principalOf(request);
  const state = stateOf(request);
  const ip = context.ip ?? state.ipOf?.(request);
  const decision = state.authorizer.decide({
    principal: { userId: principal.userId, roles: principal.roles },
    action,
    resource,
    context: ip === undefined ? context : { ...context, ip },
  });
  if (decision.decision !== 'allow') throw authzDenied(action, decision.policies);
  return decision;
}

type Of<T> = T | ((request: FastifyRequest) => T | Promise<T>);

/**
 * A preHandler for routes whose resource is known before the handler runs, e.g.
 * `preHandler: [authenticate, requirePermission('user:read', { type: 'User', id: '*' })]`.
 */
export function requirePermission(action: Permission, resource: Of<AuthzResource>, context: Of<Partial<Context>> = {}) {
  return async (request: FastifyRequest): Promise<void> => {
    const target = typeof resource === 'function' ? await resource(request) : resource;
    const facts = typeof context === 'function' ? await context(request) : context;
    await authorize(request, action, target, facts);
  };
}
