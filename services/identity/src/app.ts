import { buildApp, type App, type HealthCheck, type Logger } from '@elcorp/kit';

export interface IdentityDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
}

/** The identity HTTP surface, without listening: main.ts serves it, tests inject into it. */
export async function buildIdentityApp(deps: IdentityDeps): Promise<App> {
  const app = await buildApp({
    service: 'identity',
    description: 'Users, devices, DPoP-bound sessions, tokens, MFA, GDPR erasure, JWKS.',
    logger: deps.logger,
    healthChecks: deps.healthChecks,
  });
  return app;
}
