#!/usr/bin/env node
// pnpm elcorp unlock USER: lifts a login lockout now, as POST /api/v1/users/{id}/unlock does.
import { operatorMain, positionals, type OperatorCommand } from '@elcorp/kit';
import { unlockUser } from '../application/users.js';
import { loadIdentityConfig } from '../config.js';
import { withIdentityDatabase } from './database.js';
import { identityFailure, resolveUser } from './users.js';

export const unlockCommand: OperatorCommand<{ user: string }> = {
  name: 'unlock',
  help: `usage: pnpm elcorp unlock USER

Lifts the login lockout of a user at once (the same use case as POST /api/v1/users/{id}/unlock):
the failed-attempt count of the account's email is cleared and identity.user.unlocked is
announced with by: null (an operator). USER is a user id or the account's email.

environment: identity's DATABASE_URL, DATABASE_SCHEMA, EVENT_SUBJECT_ROOT
exit status: 0 done, 1 refused or failed, 2 bad arguments`,
  parse: (argv) => {
    const [user] = positionals(argv, ['USER']);
    return { user: user! };
  },
  run: async ({ user }) => {
    const config = loadIdentityConfig();
    return withIdentityDatabase(config, 'unlock', async (deps) => {
      const userId = await resolveUser(deps, user);
      await unlockUser(deps, userId, null);
      return [`unlocked user ${userId}: its failed sign-in count is cleared`];
    });
  },
  expected: identityFailure,
};

operatorMain(unlockCommand);
