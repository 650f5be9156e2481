import { openServiceAuth } from '@elcorp/auth/fastify';
import type { ServiceDefinition } from '@elcorp/kit';
import { attachMessaging, messagingMigrations, type MessagingTables } from '@elcorp/messaging';
import { buildGovernanceApp } from './app.js';
import { loadGovernanceConfig, type GovernanceConfig } from './config.js';

/** How the governance service is opened: main.ts serves it, tests open it with their own environment. */
export const governanceService: ServiceDefinition<GovernanceConfig, MessagingTables> = {
  name: 'governance',
  loadConfig: loadGovernanceConfig,
  migrations: [messagingMigrations],
  build: async ({ config, logger, infra }) => {
    const auth = openServiceAuth(config, { redis: infra.redis!, logger });
    const app = await buildGovernanceApp({ logger, healthChecks: infra.healthChecks, auth });
    await attachMessaging({ config, logger, infra, registry: app.metrics });
    return app;
  },
};
