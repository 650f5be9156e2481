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
  // Every route under the public prefix needs a verified caller: the hook runs before the
  // body is parsed, so a stranger learns nothing (401) whatever the route.
  await app.register(
    async (scope: App) => {
      scope.addHook('onRequest', deps.authenticate);
      registerAccountRoutes(scope, deps);
      registerTransferRoutes(scope, deps);
      registerInvoiceRoutes(scope, deps);
      registerReconciliationRoutes(scope, deps);
    },
    { prefix: '/api/v1/payments' },
  );
  return app;
}
