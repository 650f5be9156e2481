import { openServiceAuth } from '@elcorp/auth/fastify';
import type { ServiceDefinition } from '@elcorp/kit';
import { attachMessaging, messagingMigrations, type MessagingTables } from '@elcorp/messaging';
import { buildPaymentsApp } from './app.js';
import { loadPaymentsConfig, type PaymentsConfig } from './config.js';

/** How the payments service is opened: main.ts serves it, tests open it with their own environment. */
export const paymentsService: ServiceDefinition<PaymentsConfig, MessagingTables> = {
  name: 'payments',
  loadConfig: loadPaymentsConfig,
  migrations: [messagingMigrations],
  build: async ({ config, logger, infra }) => {
    const auth = openServiceAuth(config, { redis: infra.redis!, logger });
    const app = await buildPaymentsApp({ logger, healthChecks: infra.healthChecks, auth });
    await attachMessaging({ config, logger, infra, registry: app.metrics });
    return app;
  },
};
