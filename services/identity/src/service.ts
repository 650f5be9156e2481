import type { ServiceDefinition } from '@elcorp/kit';
import { attachMessaging, messagingMigrations, type MessagingTables } from '@elcorp/messaging';
import { buildIdentityApp } from './app.js';
import { loadIdentityConfig, type IdentityConfig } from './config.js';

/** How the identity service is opened: main.ts serves it, tests open it with their own environment. */
export const identityService: ServiceDefinition<IdentityConfig, MessagingTables> = {
  name: 'identity',
  loadConfig: loadIdentityConfig,
  migrations: [messagingMigrations],
  build: async ({ config, logger, infra }) => {
    const app = await buildIdentityApp({ logger, healthChecks: infra.healthChecks });
    await attachMessaging({ config, logger, infra, registry: app.metrics });
    return app;
  },
};
