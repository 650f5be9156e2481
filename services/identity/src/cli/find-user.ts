#!/usr/bin/env node
// pnpm elcorp find-user EMAIL: the id of the active account with this email. The dispatcher
// uses it to turn an email into the id other services know users by (they store no emails).
import { CommandFailure, operatorMain, positionals, UsageError, type OperatorCommand } from '@elcorp/kit';
import { IdentityError } from '../domain/errors.js';
import { lookupByEmail } from '../application/users.js';
import { loadIdentityConfig } from '../config.js';
import { withIdentityDatabase } from './database.js';
import { identityFailure } from './users.js';

export const findUserCommand: OperatorCommand<{ email: string }> = {
  name: 'find-user',
  help: `usage: pnpm elcorp find-user EMAIL

Prints the id of the active account with this email, alone on one line (for scripts:
pnpm -s elcorp find-user ana@example.na).

environment: identity's DATABASE_URL, DATABASE_SCHEMA
exit status: 0 found, 1 no such user or failed, 2 bad arguments`,
  parse: (argv) => {
    const [email] = positionals(argv, ['EMAIL']);
    if (!/^[^\s@]+@[^\s@]+$/.test(email!)) throw new UsageError(`EMAIL must be an email address, got "${email}"`);
    return { email: email! };
  },
  run: async ({ email }) => {
    const config = loadIdentityConfig();
    return withIdentityDatabase(config, 'find-user', async (deps) => [(await lookupByEmail(deps, email)).id]);
  },
  expected: (error) => (error instanceof IdentityError && error.code === 'identity.user_not_found' ? new CommandFailure('no active account has this email') : identityFailure(error)),
};

operatorMain(findUserCommand);
