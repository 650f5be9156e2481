import { protectedRoutes, type ServiceAuth } from '@elcorp/auth/fastify';
import { buildApp, type App, type HealthCheck, type Logger } from '@elcorp/kit';

export interface ComplianceDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
  /** Verifies every caller of the public routes (openServiceAuth). */
  auth: ServiceAuth;
}

/** The compliance HTTP surface, without listening: main.ts serves it, tests inject into it. */
export async function buildComplianceApp(deps: ComplianceDeps): Promise<App> {
  const app = await buildApp({
    service: 'compliance',
    description: 'Merkle audit log of every event, proofs, crypto-shredding, incidents, reports.',
    logger: deps.logger,
    healthChecks: deps.healthChecks,
  });
  // Everything under the public prefix needs a verified caller (no routes yet: 401 to strangers,
  // 404 to callers); routes are added inside, a public one with `config: publicRoute`.
  await app.register(protectedRoutes(deps.auth, () => undefined), { prefix: '/api/v1/compliance' });
  return app;
}
