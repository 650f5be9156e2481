/**
 * `@elcorp/auth/fastify`: the server side of authentication. A subpath of its own because
 * it needs fastify, the kit's problem types and Redis, which the root entry must not pull
 * into the client SDK (it imports `@elcorp/auth` for DPoP signing only). Not in the kit:
 * the kit knows nothing of tokens, and auth's rules (claims, deny-list) stay in one package.
 */
export { authenticateRequest, principalOf, protectedRoutes, publicRoute, type RouteRegistrar, type ServiceAuth } from './plugin.js';
export { authProblem, credentialsUnavailable, mapAuthError } from './problems.js';
export { jwksTimingShape, openServiceAuth, serviceAuthConfigShape, type OpenedServiceAuth, type ServiceAuthConfig } from './service-auth.js';
