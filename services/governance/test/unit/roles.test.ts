import { permissions, systemRoles } from '@elcorp/contracts';
import fc from 'fast-check';
import t from 'tap';
import { checkPermissions, guardCustomRole, guardRevocation, roleNamePattern, rolesOnRegistration, systemRoleSeeds } from '../../src/domain/roles.js';

t.test('system roles are seeded exactly as the contract lists them and cannot be changed', async (t) => {
  t.same(Object.fromEntries(systemRoleSeeds().map((r) => [r.name, r.permissions])), systemRoles);
  for (const name of Object.keys(systemRoles)) t.match(guardCustomRole(name), { code: 'governance.system_role' });
  t.equal(guardCustomRole('auditor'), undefined);
  t.equal(guardCustomRole('constructor'), undefined, 'a prototype member is no system role');
});

t.test('a custom role names only catalogue permissions; each unknown one is named', async (t) => {
  t.same(checkPermissions(['audit:view', 'user:read', 'audit:view']), ['user:read', 'audit:view'], 'folded and in catalogue order');
  t.match(checkPermissions(['user:read', 'money:print', 'x']), {
    code: 'governance.unknown_permission',
    errors: [{ path: 'body.permissions.1', message: 'unknown permission "money:print"' }, { path: 'body.permissions.2' }],
  });
  t.same(checkPermissions([]), []);
});

t.test('role names are lower-case identifiers', async (t) => {
  t.ok(roleNamePattern.test('auditor'));
  t.ok(roleNamePattern.test('team-lead_2'));
  for (const bad of ['', 'Auditor', '1role', 'a b', 'x'.repeat(65), 'r"ole']) t.notOk(roleNamePattern.test(bad), bad);
});

t.test('the last admin keeps admin; any other revocation is fine', async (t) => {
  t.match(guardRevocation('admin', 'a', ['a']), { code: 'governance.last_admin' });
  t.equal(guardRevocation('admin', 'a', ['a', 'b']), undefined);
  t.equal(guardRevocation('admin', 'c', ['a']), undefined, 'revoking admin from a non-holder leaves the holder');
  t.equal(guardRevocation('staff', 'a', ['a']), undefined);
  fc.assert(
    fc.property(fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 4 }), fc.constantFrom('a', 'b', 'c', 'd'), (holders, user) => {
      const refused = guardRevocation('admin', user, holders) !== undefined;
      const remaining = holders.filter((h) => h !== user);
      return refused === (holders.includes(user) && remaining.length === 0);
    }),
  );
});

t.test('every new user gets user; the bootstrap email gets admin only while no admin has ever existed', async (t) => {
  t.same(rolesOnRegistration('ann@example.com', undefined, false), ['user']);
  t.same(rolesOnRegistration('Root@Example.com ', 'root@example.com', false), ['user', 'admin']);
  t.same(rolesOnRegistration('root@example.com', 'root@example.com', true), ['user'], 'too late once an admin has existed');
  t.same(rolesOnRegistration('ann@example.com', 'root@example.com', false), ['user']);
});

t.test('the catalogue itself is what the roles check against', async (t) => {
  t.same(checkPermissions([...permissions]), [...permissions]);
});
