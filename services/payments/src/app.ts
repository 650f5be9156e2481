import { protectedRoutes, type ServiceAuth } from '@elcorp/auth/fastify';
import { buildApp, type App, type HealthCheck, type Logger } from '@elcorp/kit';
import { registerAccountRoutes } from './http/accounts.routes.js';
import type { RouteDeps } from './http/context.js';
import { toAppError } from './http/errors.js';
import { registerInvoiceRoutes } from './http/invoices.routes.js';
import { registerReconciliationRoutes } from './http/reconciliations.routes.js';
import { registerTransferRoutes } from './http/transfers.routes.js';

export interface PaymentsAppDeps extends RouteDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
  /** Verifies every caller of the public routes (openServiceAuth). */
  auth: ServiceAuth;
}

/** The payments HTTP surface, without listening: main.ts serves it, tests inject into it. */
export async function buildPaymentsApp(deps: PaymentsAppDeps): Promise<App> {
  const app = await buildApp({
    service: 'payments',
    description: 'Double-entry ledger: accounts, transfers, approvals, invoices, reconciliation.',
    logger: deps.logger,
    healthChecks: deps.healthChecks,
    mapError: toAppError,
  });
  // Everything under the public prefix needs a verified caller: strangers get 401 whatever
  // the path, before any body is read.
  await app.register(
    protectedRoutes(deps.auth, (scope) => {
      registerAccountRoutes(scope, deps);
      registerTransferRoutes(scope, deps);
      registerInvoiceRoutes(scope, deps);
      registerReconciliationRoutes(scope, deps);
    }),
    { prefix: '/api/v1/payments' },
  );
  return app;
}
