import { createDatabase } from '@elcorp/db';
import { unitOfWork } from '@elcorp/messaging';
import type { IdentityDeps } from '../application/ports.js';
import type { IdentityConfig } from '../config.js';
import type { IdentityDB } from '../infrastructure/db/schema.js';
import { emailHasher } from '../infrastructure/email-hash.js';

/**
 * What an operator command needs of identity: its database, as the service's own role, and
 * the unit of work that writes announced events to the outbox (the running service's relay
 * publishes them). Closed by the caller.
 */
export async function withIdentityDatabase<T>(config: IdentityConfig, command: string, work: (deps: Pick<IdentityDeps, 'db' | 'uow' | 'now' | 'emailHash'>) => Promise<T>): Promise<T> {
  const database = createDatabase<IdentityDB>({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, applicationName: `elcorp-identity-${command}`, poolMax: 2 });
  try {
    return await work({ db: database.db, uow: unitOfWork(database.db, { root: config.EVENT_SUBJECT_ROOT }), now: () => new Date(), emailHash: emailHasher(config.IDENTITY_EMAIL_HASH_KEY) });
  } finally {
    await database.close();
  }
}
