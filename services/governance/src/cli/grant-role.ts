#!/usr/bin/env node
// pnpm elcorp grant-role USER ROLE: the grant PUT /api/v1/governance/users/{id}/roles/{role} makes.
import { operatorMain, positionals, userIdArgument, type OperatorCommand } from '@elcorp/kit';
import { grantInUnit } from '../application/assignments.js';
import { loadGovernanceConfig } from '../config.js';
import { environmentNote, governanceFailure, roleArgument, userNote, withGovernanceDatabase } from './operator.js';

export const grantRoleCommand: OperatorCommand<{ userId: string; role: string }> = {
  name: 'grant-role',
  help: `usage: pnpm elcorp grant-role USER ROLE

Gives a user a role, as PUT /api/v1/governance/users/{userId}/roles/{role} does, with no
caller (by: null): governance.role.assigned is announced, and identity puts the role into the
user's next access token (at the next sign-in or refresh). A repeat changes nothing.
${userNote}

${environmentNote}
exit status: 0 done, 1 refused (no such role) or failed, 2 bad arguments`,
  parse: (argv) => {
    const [user, role] = positionals(argv, ['USER', 'ROLE']);
    return { userId: userIdArgument(user!), role: roleArgument(role!) };
  },
  run: async ({ userId, role }) =>
    withGovernanceDatabase(loadGovernanceConfig(), 'grant-role', async (deps) => {
      const granted = await deps.uow((uow) => grantInUnit(uow, { userId, role, by: null, actor: null, now: deps.now() }));
      return [granted ? `granted ${role} to user ${userId}` : `user ${userId} already has ${role}; nothing changed`];
    }),
  expected: governanceFailure,
};

operatorMain(grantRoleCommand);
