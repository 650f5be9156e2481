#!/usr/bin/env node
// pnpm elcorp bootstrap-admin EMAIL: the CLI path to a first admin that API.md promises.
// The dispatcher turns EMAIL into the user id (identity's find-user); governance knows ids only.
// The grant is grant-admin's (grantAdminAsOperator), wrapped in the CLI's contract.
import { operatorMain, positionals, userIdArgument, type OperatorCommand } from '@elcorp/kit';
import { loadGovernanceConfig } from '../config.js';
import { grantAdmin } from './grant-admin.js';
import { governanceFailure } from './operator.js';

export const bootstrapAdminCommand: OperatorCommand<{ userId: string }> = {
  name: 'bootstrap-admin',
  help: `usage: pnpm elcorp bootstrap-admin EMAIL

Grants admin to the registered account with this email: the first admin when
ELCORP_BOOTSTRAP_ADMIN_EMAIL was not set, or a new one after the last admin was erased.
governance.role.assigned is announced (by: null); identity puts admin into the user's next
access token. The account must exist (register it first); a repeat changes nothing.

environment: identity's and governance's DATABASE_URL, DATABASE_SCHEMA (or IDENTITY__… and
GOVERNANCE__…), governance's EVENT_SUBJECT_ROOT
exit status: 0 done, 1 no such account or failed, 2 bad arguments`,
  parse: (argv) => {
    const [user] = positionals(argv, ['EMAIL']);
    return { userId: userIdArgument(user!, 'EMAIL (resolved to a user id)') };
  },
  run: async ({ userId }) => {
    const granted = await grantAdmin(loadGovernanceConfig(), userId);
    return [granted ? `user ${userId} is now an admin` : `user ${userId} already is an admin; nothing changed`];
  },
  expected: governanceFailure,
};

operatorMain(bootstrapAdminCommand);
