#!/usr/bin/env node
// Operator command: make a new signing key current now (e.g. after a suspected leak).
//   pnpm --filter @elcorp/identity rotate-keys
// Reads the service's own configuration (DATABASE_URL, DATABASE_SCHEMA,
// IDENTITY_KEY_ENCRYPTION_KEY). Tokens signed by the previous key stay valid until they
// expire: the JWKS keeps publishing it for a day.
import { createDatabase } from '@elcorp/db';
import { loadIdentityConfig, type IdentityConfig } from '../config.js';
import type { IdentityDB } from '../infrastructure/db/schema.js';
import { SecretBox } from '../infrastructure/secret-box.js';
import { SigningKeys } from '../infrastructure/signing-keys.js';

export async function rotateSigningKeys(config: IdentityConfig): Promise<string> {
  const database = createDatabase<IdentityDB>({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, applicationName: 'elcorp-identity-rotate-keys' });
  try {
    return await new SigningKeys(database.db, new SecretBox(config.IDENTITY_KEY_ENCRYPTION_KEY), { rotationDays: config.SIGNING_KEY_ROTATION_DAYS }).rotate();
  } finally {
    await database.close();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  rotateSigningKeys(loadIdentityConfig()).then(
    (kid) => process.stdout.write(`signing key ${kid} is now current\n`),
    (err: unknown) => {
      process.stderr.write(`rotate-keys failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
