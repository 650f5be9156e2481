import { systemRoles, uuidv7 } from '@elcorp/contracts';
import t from 'tap';
import { assignRole, userRoles } from '../../src/application/assignments.js';
import type { Caller } from '../../src/application/ports.js';
import { createRole, deleteRole, listRoles, revocationsPerBatch, updateRole } from '../../src/application/roles.js';
import { prepareGovernance } from '../../src/application/startup.js';
import { openHarness } from './harness.js';

const admin: Caller = { userId: uuidv7(), roles: ['admin'] };

t.test('the system roles are seeded from the contract and a first bundle carries them', async (t) => {
  const { deps, sunk, events } = await openHarness(t);
  const page = await listRoles(deps, { limit: 100 });
  t.same(Object.fromEntries(page.items.map((r) => [r.name, [...r.permissions].sort()])), Object.fromEntries(Object.entries(systemRoles).map(([n, p]) => [n, [...p].sort()])));
  t.ok(page.items.every((r) => r.system));
  t.match(sunk, [{ version: 1, policies: [] }]);
  t.same(await events('governance.policy.published'), [{ type: 'governance.policy.published', data: { bundleVersion: 1, policyIds: [] } }]);
  await prepareGovernance(deps);
  t.equal((await events('governance.policy.published')).length, 1, 'a restart with the same role table publishes no new version');
  t.same(sunk.map((b) => b.version), [1, 1], 'but puts the latest bundle again, repairing a lost put');
});

t.test('create, change and delete a custom role; each change is announced and published as a new bundle', async (t) => {
  const { deps, sunk, events } = await openHarness(t);
  const created = await createRole(deps, admin, { name: 'auditor', description: 'reads the audit log', permissions: ['audit:view', 'audit:export'] });
  t.same(created, { name: 'auditor', description: 'reads the audit log', system: false, permissions: ['audit:view', 'audit:export'] });
  t.match(sunk.at(-1), { version: 2, roles: { auditor: ['audit:export', 'audit:view'] } });

  const changed = await updateRole(deps, admin, 'auditor', { permissions: ['audit:view'] });
  t.same(changed.permissions, ['audit:view']);
  t.match(sunk.at(-1), { version: 3, roles: { auditor: ['audit:view'] } });

  const holder = uuidv7();
  await assignRole(deps, admin, holder, 'auditor');
  await deleteRole(deps, admin, 'auditor');
  t.same(await userRoles(deps, holder), { roles: [] }, 'holders lose a deleted role');
  t.notOk('auditor' in sunk.at(-1)!.roles);
  t.equal(sunk.at(-1)!.version, 4);
  t.same(
    (await events()).filter((e) => e.type.startsWith('governance.role.')).map((e) => e.type),
    ['governance.role.created', 'governance.role.updated', 'governance.role.assigned', 'governance.role.revoked', 'governance.role.deleted'],
  );
  t.same((await events('governance.policy.published')).map((e) => e.data.bundleVersion), [1, 2, 3, 4]);
});

t.test('a role held by more users than one transaction may announce is still deleted, every holder told', async (t) => {
  const { deps, sunk, events } = await openHarness(t);
  await createRole(deps, admin, { name: 'teller', description: '', permissions: ['payment:create'] });
  const holders = Array.from({ length: 2 * revocationsPerBatch + 7 }, () => uuidv7());
  // Granted straight into the table: the grants' own events are not what this test reads.
  await deps.db.insertInto('user_roles').values(holders.map((user_id) => ({ user_id, role: 'teller', granted_by: null }))).execute();
  await deleteRole(deps, admin, 'teller');
  const revoked = await events('governance.role.revoked');
  t.equal(revoked.length, holders.length, 'one revocation per holder');
  t.same(new Set(revoked.map((e) => e.data.userId)), new Set(holders), 'each holder named once');
  t.equal((await events('governance.role.deleted')).length, 1, 'then the role is deleted');
  t.notOk('teller' in sunk.at(-1)!.roles, 'and the published bundle no longer has it');
  t.same(await userRoles(deps, holders[0]!), { roles: [] });
});

t.test('duplicates are 409, unknown permissions 422, system roles 422, missing roles 404', async (t) => {
  const { deps, sunk } = await openHarness(t);
  await createRole(deps, admin, { name: 'clerk', description: '', permissions: [] });
  await t.rejects(createRole(deps, admin, { name: 'clerk', description: '', permissions: [] }), { code: 'governance.role_exists' });
  await t.rejects(createRole(deps, admin, { name: 'staff', description: '', permissions: [] }), { code: 'governance.role_exists' });
  await t.rejects(createRole(deps, admin, { name: 'x', description: '', permissions: ['money:print'] }), {
    code: 'governance.unknown_permission',
    errors: [{ path: 'body.permissions.0', message: 'unknown permission "money:print"' }],
  });
  await t.rejects(updateRole(deps, admin, 'clerk', { permissions: ['nope:nope'] }), { code: 'governance.unknown_permission' });
  for (const name of ['admin', 'staff', 'user', 'guest']) {
    await t.rejects(updateRole(deps, admin, name, { description: 'x' }), { code: 'governance.system_role' });
    await t.rejects(deleteRole(deps, admin, name), { code: 'governance.system_role' });
  }
  await t.rejects(updateRole(deps, admin, 'ghost', { description: 'x' }), { code: 'governance.role_not_found' });
  await t.rejects(deleteRole(deps, admin, 'ghost'), { code: 'governance.role_not_found' });
  t.equal(sunk.at(-1)!.version, 2, 'refused changes publish nothing');
});

t.test('roles list in pages', async (t) => {
  const { deps } = await openHarness(t);
  const first = await listRoles(deps, { limit: 3 });
  t.same(first.items.map((r) => r.name), ['admin', 'guest', 'staff']);
  t.equal(first.nextCursor, 'staff');
  const second = await listRoles(deps, { limit: 3, cursor: 'staff' });
  t.same(second, { items: [{ name: 'user', description: '', system: true, permissions: ['payment:create'] }], nextCursor: null });
});
