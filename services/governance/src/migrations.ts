import { messagingMigrations } from '@elcorp/messaging';
import { fileURLToPath } from 'node:url';

/** The outbox and inbox, then governance's own tables. */
export const governanceMigrations = [messagingMigrations, { dir: fileURLToPath(new URL('../migrations', import.meta.url)) }] as const;
