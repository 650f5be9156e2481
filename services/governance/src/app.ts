import { protectedRoutes, type ServiceAuth } from '@elcorp/auth/fastify';
import { registerAuthz, type Authorizer } from '@elcorp/authz';
import { buildApp, type App, type HealthCheck, type Logger } from '@elcorp/kit';
import type { GovernanceDeps as UseCaseDeps } from './application/ports.js';
import { toAppError } from './http/errors.js';
import { registerPermissionRoutes } from './http/permissions.routes.js';
import { registerPolicyRoutes } from './http/policies.routes.js';
import { registerRequestRoutes } from './http/requests.routes.js';
import { registerRoleRoutes } from './http/roles.routes.js';

export interface GovernanceDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
  /** Verifies every caller of the public routes (openServiceAuth). */
  auth: ServiceAuth;
  /** The fleet's Cedar decisions, kept on the latest bundle. */
  authorizer: Authorizer;
  governance: UseCaseDeps;
}

/** The governance HTTP surface, without listening: main.ts serves it, tests inject into it. */
export async function buildGovernanceApp(deps: GovernanceDeps): Promise<App> {
  const app = await buildApp({
    service: 'governance',
    description: 'Roles, permissions, Cedar policies, service-request workflows, SLAs.',
    logger: deps.logger,
    healthChecks: deps.healthChecks,
    mapError: toAppError,
  });
  registerAuthz(app, deps.authorizer);
  // Everything under the public prefix needs a verified caller; a public route would say `config: publicRoute`.
  await app.register(
    protectedRoutes(deps.auth, (scope) => {
      registerPermissionRoutes(scope);
      registerRoleRoutes(scope, deps.governance);
      registerPolicyRoutes(scope, deps.governance);
      registerRequestRoutes(scope, deps.governance);
    }),
    { prefix: '/api/v1/governance' },
  );
  return app;
}
