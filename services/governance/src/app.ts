import { protectedRoutes, type ServiceAuth } from '@elcorp/auth/fastify';
import { registerPermissionRoutes } from './http/permissions.routes.js';
import { buildApp, type App, type HealthCheck, type Logger } from '@elcorp/kit';

export interface GovernanceDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
  /** Verifies every caller of the public routes (openServiceAuth). */
  auth: ServiceAuth;
}

/** The governance HTTP surface, without listening: main.ts serves it, tests inject into it. */
export async function buildGovernanceApp(deps: GovernanceDeps): Promise<App> {
  const app = await buildApp({
    service: 'governance',
    description: 'Roles, permissions, Cedar policies, service-request workflows, SLAs.',
    logger: deps.logger,
    healthChecks: deps.healthChecks,
  });
  // Everything under the public prefix needs a verified caller; a public route would say `config: publicRoute`.
  await app.register(protectedRoutes(deps.auth, (scope) => registerPermissionRoutes(scope)), { prefix: '/api/v1/governance' });
  return app;
}
