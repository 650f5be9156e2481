import { protectedRoutes, publicRoute, type ServiceAuth } from '@elcorp/auth/fastify';
import { registerAuthz, type Authorizer } from '@elcorp/authz';
import { buildApp, type App, type HealthCheck, type Logger } from '@elcorp/kit';
import type { ComplianceDeps } from './application/ports.js';
import { registerAuditRoutes } from './http/audit.routes.js';
import { toAppError } from './http/errors.js';
import { registerIncidentRoutes } from './http/incidents.routes.js';
import { registerReportRoutes } from './http/reports.routes.js';

export interface ComplianceAppDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
  deps: ComplianceDeps;
  /** Verifies every caller of the public routes (openServiceAuth). */
  auth: ServiceAuth;
  /** Decides with governance's latest policy bundle. */
  authorizer: Authorizer;
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
  registerAuthz(app, options.authorizer);
  // Everything under the public prefix needs a verified caller; the keys are public.
  await app.register(
    protectedRoutes(options.auth, (scope) => {
      registerAuditRoutes(scope, options.deps, publicRoute);
      registerIncidentRoutes(scope, options.deps);
      registerReportRoutes(scope, options.deps, options.kickReports);
    }),
    { prefix: '/api/v1/compliance' },
  );
  return app;
}
