import { uuidv7 } from '@elcorp/contracts';
import t from 'tap';
import { assignRole, grantAdminAsOperator, revokeRole, userRoles } from '../../src/application/assignments.js';
import type { Caller } from '../../src/application/ports.js';
import { openHarness } from './harness.js';

const operator = (): Caller => ({ userId: uuidv7(), roles: ['admin'] });

t.test('a grant and a revocation each announce themselves once; repeats are quiet no-ops', async (t) => {
  const { deps, events } = await openHarness(t);
  const by = operator();
  const user = uuidv7();
  await assignRole(deps, by, user, 'staff');
  await assignRole(deps, by, user, 'staff');
  t.same(await userRoles(deps, user), { roles: ['staff'] });
  await revokeRole(deps, by, user, 'staff');
  await revokeRole(deps, by, user, 'staff');
  t.same(await userRoles(deps, user), { roles: [] });
  t.same(
    (await events()).filter((e) => e.type.startsWith('governance.role.')),
    [
      { type: 'governance.role.assigned', data: { userId: user, role: 'staff', by: by.userId } },
      { type: 'governance.role.revoked', data: { userId: user, role: 'staff', by: by.userId } },
    ],
  );
});

t.test('an unknown role is 404 role_not_found', async (t) => {
  const { deps } = await openHarness(t);
  await t.rejects(assignRole(deps, operator(), uuidv7(), 'nope'), { code: 'governance.role_not_found' });
});

t.test('the last admin keeps admin; with two, one may go', async (t) => {
  const { deps, events } = await openHarness(t);
  const [a, b] = [uuidv7(), uuidv7()];
  await assignRole(deps, operator(), a, 'admin');
  await t.rejects(revokeRole(deps, operator(), a, 'admin'), { code: 'governance.last_admin' });
  await assignRole(deps, operator(), b, 'admin');
  await revokeRole(deps, operator(), a, 'admin');
  t.same(await userRoles(deps, b), { roles: ['admin'] });
  await t.rejects(revokeRole(deps, operator(), b, 'admin'), { code: 'governance.last_admin' });
  t.equal((await events('governance.role.revoked')).length, 1, 'a refused revocation announces nothing');
});

t.test('two concurrent revocations of the last two admins: exactly one succeeds, one admin remains', async (t) => {
  const { deps } = await openHarness(t);
  for (let round = 0; round < 5; round += 1) {
    const [a, b] = [uuidv7(), uuidv7()];
    await assignRole(deps, operator(), a, 'admin');
    await assignRole(deps, operator(), b, 'admin');
    // Only a and b may hold admin in this round: clear earlier rounds' survivor.
    const holders = await deps.db.selectFrom('user_roles').select('user_id').where('role', '=', 'admin').execute();
    for (const h of holders) if (h.user_id !== a && h.user_id !== b) await revokeRole(deps, operator(), h.user_id, 'admin');

    const outcomes = await Promise.allSettled([revokeRole(deps, operator(), a, 'admin'), revokeRole(deps, operator(), b, 'admin')]);
    const refused = outcomes.filter((o) => o.status === 'rejected');
    t.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, `round ${round}: one revocation went through`);
    t.match(refused, [{ reason: { code: 'governance.last_admin' } }], `round ${round}: the other was refused as the last admin`);
    const left = await deps.db.selectFrom('user_roles').select('user_id').where('role', '=', 'admin').execute();
    t.equal(left.length, 1, `round ${round}: one admin left`);
  }
});

t.test('the operator grants admin without a caller; a repeat says it already was', async (t) => {
  const { deps, events } = await openHarness(t);
  const user = uuidv7();
  t.equal(await grantAdminAsOperator(deps, user), true);
  t.equal(await grantAdminAsOperator(deps, user), false);
  t.same(await userRoles(deps, user), { roles: ['admin'] });
  t.same(await events('governance.role.assigned'), [{ type: 'governance.role.assigned', data: { userId: user, role: 'admin', by: null } }]);
});
