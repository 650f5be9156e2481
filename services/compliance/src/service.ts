import { openServiceAuth } from '@elcorp/auth/fastify';
import type { ServiceDefinition } from '@elcorp/kit';
import { attachMessaging, messagingMigrations, type MessagingTables } from '@elcorp/messaging';
import { buildComplianceApp } from './app.js';
import { loadComplianceConfig, type ComplianceConfig } from './config.js';

/** How the compliance service is opened: main.ts serves it, tests open it with their own environment. */
export const complianceService: ServiceDefinition<ComplianceConfig, MessagingTables> = {
  name: 'compliance',
  loadConfig: loadComplianceConfig,
  migrations: [messagingMigrations],
  build: async ({ config, logger, infra }) => {
    const auth = openServiceAuth(config, { redis: infra.redis!, logger });
    const app = await buildComplianceApp({ logger, healthChecks: infra.healthChecks, auth });
    await attachMessaging({ config, logger, infra, registry: app.metrics });
    return app;
  },
};
