import type { ServiceDefinition } from '@elcorp/kit';
import { attachMessaging, messagingMigrations } from '@elcorp/messaging';
import { fileURLToPath } from 'node:url';
import { buildGovernanceApp } from './app.js';
import { loadGovernanceConfig, type GovernanceConfig } from './config.js';
import type { GovernanceDB } from './infrastructure/db/schema.js';

/** The outbox and inbox, then governance's own tables. */
export const governanceMigrations = [messagingMigrations, { dir: fileURLToPath(new URL('../migrations', import.meta.url)) }] as const;

/** How the governance service is opened: main.ts serves it, tests open it with their own environment. */
export const governanceService: ServiceDefinition<GovernanceConfig, GovernanceDB> = {
  name: 'governance',
  loadConfig: loadGovernanceConfig,
  migrations: [...governanceMigrations],
  build: async ({ config, logger, infra }) => {
    const app = await buildGovernanceApp({ logger, healthChecks: infra.healthChecks });
    await attachMessaging({ config, logger, infra, registry: app.metrics });
    return app;
  },
};
