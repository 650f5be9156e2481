import { buildApp, type App, type HealthCheck, type Logger } from '@elcorp/kit';

export interface GovernanceDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
}

/** The governance HTTP surface, without listening: main.ts serves it, tests inject into it. */
export async function buildGovernanceApp(deps: GovernanceDeps): Promise<App> {
  const app = await buildApp({
    service: 'governance',
    description: 'Roles, permissions, Cedar policies, service-request workflows, SLAs.',
    logger: deps.logger,
    healthChecks: deps.healthChecks,
  });
  return app;
}
