import { startService } from '@elcorp/kit';
import { messagingMigrations, startMessaging, type MessagingTables } from '@elcorp/messaging';
import { buildComplianceApp } from './app.js';
import { loadComplianceConfig } from './config.js';

startService<ReturnType<typeof loadComplianceConfig>, MessagingTables>({
  name: 'compliance',
  loadConfig: loadComplianceConfig,
  migrations: [messagingMigrations],
  build: async ({ config, logger, infra }) => {
    const app = await buildComplianceApp({ logger, healthChecks: infra.healthChecks });
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
