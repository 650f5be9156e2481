import { protectedRoutes, type ServiceAuth } from '@elcorp/auth/fastify';
import { buildApp, type App, type HealthCheck, type Logger } from '@elcorp/kit';

export interface PaymentsDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
  /** Verifies every caller of the public routes (openServiceAuth). */
  auth: ServiceAuth;
}

/** The payments HTTP surface, without listening: main.ts serves it, tests inject into it. */
export async function buildPaymentsApp(deps: PaymentsDeps): Promise<App> {
  const app = await buildApp({
    service: 'payments',
    description: 'Double-entry ledger: accounts, transfers, approvals, invoices, reconciliation.',
    logger: deps.logger,
    healthChecks: deps.healthChecks,
  });
  // Everything under the public prefix needs a verified caller (no routes yet: 401 to strangers,
  // 404 to callers); routes are added inside, a public one with `config: publicRoute`.
  await app.register(protectedRoutes(deps.auth, () => undefined), { prefix: '/api/v1/payments' });
  return app;
}
