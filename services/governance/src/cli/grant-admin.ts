#!/usr/bin/env node
// Operator command: grant `admin` to a user by id (the first admin when no bootstrap email
// was set, or a new one after the last admin was erased).
//   pnpm --filter @elcorp/governance grant-admin <userId>
// Reads the service's own configuration (DATABASE_URL, DATABASE_SCHEMA, EVENT_SUBJECT_ROOT).
// The grant and its governance.role.assigned event commit together; the running service's
// relay publishes the event, and identity puts the role into the user's next token.
import { createDatabase } from '@elcorp/db';
import { unitOfWork } from '@elcorp/messaging';
import { z } from 'zod';
import { grantAdminAsOperator } from '../application/assignments.js';
import { loadGovernanceConfig, type GovernanceConfig } from '../config.js';
import type { GovernanceDB } from '../infrastructure/db/schema.js';

export async function grantAdmin(config: GovernanceConfig, userId: string): Promise<boolean> {
  const database = createDatabase<GovernanceDB>({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, applicationName: 'elcorp-governance-grant-admin' });
  try {
    return await grantAdminAsOperator({ uow: unitOfWork(database.db, { root: config.EVENT_SUBJECT_ROOT }), now: () => new Date() }, userId);
  } finally {
    await database.close();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const userId = z.uuid().safeParse(process.argv[2]);
  if (!userId.success) {
    process.stderr.write('usage: grant-admin <userId (a UUID)>\n');
    process.exit(2);
  }
  grantAdmin(loadGovernanceConfig(), userId.data).then(
    (granted) => process.stdout.write(granted ? `user ${userId.data} is now an admin\n` : `user ${userId.data} already was an admin\n`),
    (err: unknown) => {
      process.stderr.write(`grant-admin failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
