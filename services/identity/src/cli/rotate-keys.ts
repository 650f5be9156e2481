#!/usr/bin/env node
// Operator command: make a new signing key current now (e.g. after a suspected leak).
//   pnpm elcorp rotate-keys
// Reads the service's own configuration (DATABASE_URL, DATABASE_SCHEMA,
// IDENTITY_KEY_ENCRYPTION_KEY). Tokens signed by the previous key stay valid until they
// expire: the JWKS keeps publishing it for a day.
import { createDatabase } from '@elcorp/db';
import { operatorMain, positionals, type OperatorCommand } from '@elcorp/kit';
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

export const rotateKeysCommand: OperatorCommand<Record<string, never>> = {
  name: 'rotate-keys',
  help: `usage: pnpm elcorp rotate-keys

Makes a new ES256 signing key current now, one replica at a time. The hourly schedule
instead publishes its next key SIGNING_KEY_PREPUBLISH_SECONDS before it signs; this command
does not wait, so verifiers that fetched the JWKS before it refetch on the new kid (at most
every JWKS_REFRESH_MIN_INTERVAL_MS). Tokens signed by the previous key stay valid until they
expire: the JWKS keeps publishing it for a day. Replicas pick the new key up within
SIGNING_KEY_CACHE_SECONDS.

environment: identity's DATABASE_URL, DATABASE_SCHEMA, IDENTITY_KEY_ENCRYPTION_KEY
exit status: 0 done, 1 failed, 2 bad arguments`,
  parse: (argv) => {
    positionals(argv, []);
    return {};
  },
  run: async () => [`signing key ${await rotateSigningKeys(loadIdentityConfig())} is now current`],
};

// Tests import rotateSigningKeys; only a process started on this file runs the command.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) operatorMain(rotateKeysCommand);
