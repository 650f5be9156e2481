import { buildApp, type App, type HealthCheck, type Logger } from '@elcorp/kit';

export interface GatewayDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
}

/** The public edge, without listening: main.ts serves it, tests inject into it. */
export async function buildGatewayApp(deps: GatewayDeps): Promise<App> {
  return buildApp({
    service: 'gateway',
    description: 'The public door: device-bound token verification, rate limits and routing.',
    logger: deps.logger,
    healthChecks: deps.healthChecks,
  });
}
