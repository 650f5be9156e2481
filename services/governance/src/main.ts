import { startService } from '@elcorp/kit';
import { messagingMigrations, startMessaging, type MessagingTables } from '@elcorp/messaging';
import { buildGovernanceApp } from './app.js';
import { loadGovernanceConfig } from './config.js';

startService<ReturnType<typeof loadGovernanceConfig>, MessagingTables>({
  name: 'governance',
  loadConfig: loadGovernanceConfig,
  migrations: [messagingMigrations],
  build: async ({ config, logger, infra }) => {
    const app = await buildGovernanceApp({ logger, healthChecks: infra.healthChecks });
    const messaging = await startMessaging({
      nats: infra.nats!,
      database: infra.database!,
      schema: config.DATABASE_SCHEMA,
      names: { root: config.EVENT_SUBJECT_ROOT },
      streamMaxBytes: config.EVENT_STREAM_MAX_BYTES,
      logger,
      registry: app.metrics,
    });
    infra.defer(() => messaging.stop());
    return app;
  },
});
