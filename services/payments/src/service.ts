import { openServiceAuth } from '@elcorp/auth/fastify';
import { Authorizer, watchBundles } from '@elcorp/authz';
import type { ServiceDefinition } from '@elcorp/kit';
import { attachMessaging, followKeyWithdrawals, messagingMigrations } from '@elcorp/messaging';
import { fileURLToPath } from 'node:url';
import { buildPaymentsApp } from './app.js';
import { loadPaymentsConfig, type PaymentsConfig } from './config.js';
import { paymentsDeps } from './deps.js';
import { authorizerDecider, type Decide } from './http/authorize.js';
import type { PaymentsDB } from './infrastructure/db/schema.js';
import { paymentsSubscriptions } from './infrastructure/messaging/subscriptions.js';
import { renderReceiptPdf } from './infrastructure/receipt-pdf.js';
import { startSchedules } from './infrastructure/schedules.js';

/** Test seams: a test may decide authorisation itself, or move the clock. */
export interface PaymentsOverrides {
  decide?: Decide;
  now?: () => Date;
}

/** How the payments service is opened: main.ts serves it, tests open it with their own environment. */
export function definePaymentsService(overrides: PaymentsOverrides = {}): ServiceDefinition<PaymentsConfig, PaymentsDB> {
  return {
    name: 'payments',
    loadConfig: loadPaymentsConfig,
    migrations: [messagingMigrations, { dir: fileURLToPath(new URL('../migrations', import.meta.url)) }],
    build: async ({ config, logger, infra }) => {
      const db = infra.database!.db;
      const names = { root: config.EVENT_SUBJECT_ROOT };
      const payments = paymentsDeps(db, names, {
        approvalThreshold: config.PAYMENTS_APPROVAL_THRESHOLD,
        approvalExpiryMs: config.PAYMENTS_APPROVAL_EXPIRY_MINUTES * 60_000,
        ...(overrides.now ? { now: overrides.now } : {}),
      });
      const auth = openServiceAuth(config, { redis: infra.redis!, logger });
      // The policy bundle governance publishes, kept current from NATS KV; until one arrives,
      // the system roles decide.
      const authorizer = new Authorizer();
      const app = await buildPaymentsApp({
        logger,
        healthChecks: infra.healthChecks,
        auth,
        payments,
        decide: overrides.decide ?? authorizerDecider(authorizer),
        renderReceiptPdf,
      });
      const bundles = await watchBundles(infra.nats!, names, { logger, registry: app.metrics, authorizer });
      infra.defer(() => bundles.stop(), 'authz bundle watch');
      await attachMessaging({ service: 'payments', config, logger, infra, registry: app.metrics, subscriptions: paymentsSubscriptions });
      // After messaging: identity's stream exists. A withdrawn signing key stops verifying at once.
      await followKeyWithdrawals({ infra, names, keys: auth.jwks, logger });
      const stopSchedules = startSchedules(payments, logger);
      infra.defer(stopSchedules, 'schedules');
      return app;
    },
  };
}

export const paymentsService = definePaymentsService();
