import { buildApp, type App, type HealthCheck, type Logger } from '@elcorp/kit';
import type { ComplianceDeps } from './application/ports.js';
import { toAppError } from './http/errors.js';

export interface ComplianceAppDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
  deps: ComplianceDeps;
  /** Starts generating queued reports now (the worker also polls). */
  kickReports: () => void;
}

/** The compliance HTTP surface, without listening: main.ts serves it, tests inject into it. */
export async function buildComplianceApp(options: ComplianceAppDeps): Promise<App> {
  const app = await buildApp({
    service: 'compliance',
    description: 'Merkle audit log of every event, proofs, crypto-shredding, incidents, reports.',
    logger: options.logger,
    healthChecks: options.healthChecks,
    mapError: toAppError,
  });
  return app;
}
