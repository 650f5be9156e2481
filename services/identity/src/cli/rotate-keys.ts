#!/usr/bin/env node
// Operator command: make a new signing key current now (e.g. after a suspected leak).
//   pnpm elcorp rotate-keys [--withdraw-previous]
// Reads the service's own configuration (DATABASE_URL, DATABASE_SCHEMA,
// IDENTITY_KEY_ENCRYPTION_KEY, EVENT_SUBJECT_ROOT). Tokens signed by the previous key stay
// valid until they expire (the JWKS keeps publishing it for a day), unless
// --withdraw-previous unpublishes it and announces the withdrawal to every verifier.
import { operatorMain, UsageError, type OperatorCommand } from '@elcorp/kit';
import { parseArgs } from 'node:util';
import { loadIdentityConfig, type IdentityConfig } from '../config.js';
import { SecretBox } from '../infrastructure/secret-box.js';
import { SigningKeys } from '../infrastructure/signing-keys.js';
import { withIdentityDatabase } from './database.js';

export interface RotateOptions {
  /** Unpublish every earlier key as well: the tokens they signed stop verifying. */
  withdrawPrevious?: boolean;
}

export async function rotateSigningKeys(config: IdentityConfig, options: RotateOptions = {}): Promise<{ kid: string; withdrawn: string[] }> {
  return withIdentityDatabase(config, 'rotate-keys', ({ db, uow }) =>
    new SigningKeys(db, new SecretBox(config.IDENTITY_KEY_ENCRYPTION_KEY), { rotationDays: config.SIGNING_KEY_ROTATION_DAYS }).rotate(uow, options),
  );
}

export const rotateKeysCommand: OperatorCommand<RotateOptions> = {
  name: 'rotate-keys',
  help: `usage: pnpm elcorp rotate-keys [--withdraw-previous]

Makes a new ES256 signing key current now, one replica at a time. The hourly schedule
instead publishes its next key SIGNING_KEY_PREPUBLISH_SECONDS before it signs; this command
does not wait, so verifiers that fetched the JWKS before it refetch on the new kid (at most
every JWKS_REFRESH_MIN_INTERVAL_MS). Tokens signed by the previous key stay valid until they
expire: the JWKS keeps publishing it for a day. Replicas pick the new key up within
SIGNING_KEY_CACHE_SECONDS.

--withdraw-previous   the previous keys are suspected leaked: unpublish them now. Their
                      tokens, cached verdicts included, are refused by identity, the gateway
                      and the services as soon as the running identity's relay publishes
                      identity.signing_key.withdrawn (if the broker is away: by identity
                      within SIGNING_KEY_CACHE_SECONDS, by the others at their next JWKS
                      fetch, JWKS_MAX_AGE_MS at most). Sessions survive: clients refresh,
                      and the refreshed token is signed by the new key.

environment: identity's DATABASE_URL, DATABASE_SCHEMA, IDENTITY_KEY_ENCRYPTION_KEY, EVENT_SUBJECT_ROOT
exit status: 0 done, 1 failed, 2 bad arguments`,
  parse: (argv) => {
    try {
      const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { 'withdraw-previous': { type: 'boolean' } } });
      if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
      return { withdrawPrevious: values['withdraw-previous'] === true };
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  },
  run: async (options) => {
    const { kid, withdrawn } = await rotateSigningKeys(loadIdentityConfig(), options);
    return [`signing key ${kid} is now current`, ...(options.withdrawPrevious ? [`withdrawn: ${withdrawn.length === 0 ? 'none' : withdrawn.join(', ')}`] : [])];
  },
};

// Tests import rotateSigningKeys; only a process started on this file runs the command.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) operatorMain(rotateKeysCommand);
