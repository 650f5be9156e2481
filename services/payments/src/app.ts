import { buildApp, type App, type HealthCheck, type Logger } from '@elcorp/kit';

export interface PaymentsDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
}

/** The payments HTTP surface, without listening: main.ts serves it, tests inject into it. */
export async function buildPaymentsApp(deps: PaymentsDeps): Promise<App> {
  const app = await buildApp({
    service: 'payments',
    description: 'Double-entry ledger: accounts, transfers, approvals, invoices, reconciliation.',
    logger: deps.logger,
    healthChecks: deps.healthChecks,
  });
  return app;
}
