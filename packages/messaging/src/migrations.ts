import { fileURLToPath } from 'node:url';

/** The outbox and inbox tables; every service that publishes or consumes applies this set. */
export const messagingMigrations = {
  dir: fileURLToPath(new URL('../migrations', import.meta.url)),
  historyTable: 'messaging_migrations',
} as const;
