#!/usr/bin/env node
// pnpm elcorp revoke-role USER ROLE: the revocation DELETE /api/v1/governance/users/{id}/roles/{role} makes.
import { operatorMain, positionals, userIdArgument, type OperatorCommand } from '@elcorp/kit';
import { revokeInUnit } from '../application/assignments.js';
import { loadGovernanceConfig } from '../config.js';
import { environmentNote, governanceFailure, roleArgument, userNote, withGovernanceDatabase } from './operator.js';

export const revokeRoleCommand: OperatorCommand<{ userId: string; role: string }> = {
  name: 'revoke-role',
  help: `usage: pnpm elcorp revoke-role USER ROLE

Takes a role from a user, as DELETE /api/v1/governance/users/{userId}/roles/{role} does, with
no caller (by: null): governance.role.revoked is announced. The last admin keeps admin (grant
it to someone else first). A user without the role is left as is.
${userNote}

${environmentNote}
exit status: 0 done, 1 refused (no such role, the last admin) or failed, 2 bad arguments`,
  parse: (argv) => {
    const [user, role] = positionals(argv, ['USER', 'ROLE']);
    return { userId: userIdArgument(user!), role: roleArgument(role!) };
  },
  run: async ({ userId, role }) =>
    withGovernanceDatabase(loadGovernanceConfig(), 'revoke-role', async (deps) => {
      const revoked = await deps.uow((uow) => revokeInUnit(uow, { userId, role, by: null, actor: null, enforceLastAdmin: true }));
      return [revoked ? `revoked ${role} from user ${userId}` : `user ${userId} does not have ${role}; nothing changed`];
    }),
  expected: governanceFailure,
};

operatorMain(revokeRoleCommand);
