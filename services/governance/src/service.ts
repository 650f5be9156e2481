import { openServiceAuth } from '@elcorp/auth/fastify';
import type { ServiceDefinition } from '@elcorp/kit';
import { attachMessaging } from '@elcorp/messaging';
import { buildGovernanceApp } from './app.js';
import { loadGovernanceConfig, type GovernanceConfig } from './config.js';
import type { GovernanceDB } from './infrastructure/db/schema.js';
import { governanceMigrations } from './migrations.js';

/** How the governance service is opened: main.ts serves it, tests open it with their own environment. */
export const governanceService: ServiceDefinition<GovernanceConfig, GovernanceDB> = {
  name: 'governance',
  loadConfig: loadGovernanceConfig,
  migrations: [...governanceMigrations],
  build: async ({ config, logger, infra }) => {
    const auth = openServiceAuth(config, { redis: infra.redis!, logger });
    const app = await buildGovernanceApp({ logger, healthChecks: infra.healthChecks, auth });
    await attachMessaging({ config, logger, infra, registry: app.metrics });
    return app;
  },
};
