import t from 'tap';
import { permissions, systemPermissionsOf, systemRoles } from '../src/index.js';

t.test('system roles grant what API.md lists', async (t) => {
  t.same([...systemPermissionsOf(['admin'])].sort(), [...permissions].sort(), 'admin holds every permission');
  t.same([...systemPermissionsOf(['user'])], ['payment:create']);
  t.same([...systemPermissionsOf(['guest'])], []);
  t.ok(systemPermissionsOf(['staff']).has('payment:approve'));
  t.notOk(systemPermissionsOf(['staff']).has('role:manage'));
});

t.test('roles combine, and unknown roles grant nothing', async (t) => {
  const both = systemPermissionsOf(['user', 'staff', 'no-such-role']);
  t.equal(both.size, new Set([...systemRoles.user, ...systemRoles.staff]).size);
  t.equal(systemPermissionsOf(['__proto__', 'constructor']).size, 0, 'prototype names are not roles');
});
