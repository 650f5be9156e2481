import { buildApp, type App, type HealthCheck, type Logger } from '@elcorp/kit';

export interface ComplianceDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
}

/** The compliance HTTP surface, without listening: main.ts serves it, tests inject into it. */
export async function buildComplianceApp(deps: ComplianceDeps): Promise<App> {
  const app = await buildApp({
    service: 'compliance',
    description: 'Merkle audit log of every event, proofs, crypto-shredding, incidents, reports.',
    logger: deps.logger,
    healthChecks: deps.healthChecks,
  });
  return app;
}
