import { permissions, uuidv7 } from '@elcorp/contracts';
import t from 'tap';
import { openGovernance, person } from './client.js';

const admin = person('admin');
const user = person('user');

t.test('every route needs a verified caller', async (t) => {
  const gov = await openGovernance(t);
  const res = await gov.call('GET', '/permissions', null);
  t.equal(res.statusCode, 401);
  t.match(res.json(), { code: 'auth.invalid_token' });
});

t.test('GET /permissions: the catalogue, for any signed-in user', async (t) => {
  const gov = await openGovernance(t);
  const res = await gov.call('GET', '/permissions', user);
  t.equal(res.statusCode, 200);
  t.same(res.json(), { permissions: [...permissions] });
});

t.test('GET /roles lists for any user; POST /roles needs role:manage and answers 201, 409, 422', async (t) => {
  const gov = await openGovernance(t);
  const list = await gov.call('GET', '/roles?limit=2', user);
  t.equal(list.statusCode, 200);
  t.match(list.json(), { items: [{ name: 'admin', system: true }, { name: 'guest', permissions: [] }], nextCursor: 'guest' });
  t.equal((await gov.call('GET', '/roles?limit=0', user)).statusCode, 422, 'limit is 1..100');

  const denied = await gov.call('POST', '/roles', user, { name: 'auditor', permissions: ['audit:view'] });
  t.equal(denied.statusCode, 403);
  t.match(denied.json(), { code: 'authz.denied' });

  const created = await gov.call('POST', '/roles', admin, { name: 'auditor', description: 'reads the audit log', permissions: ['audit:view'] });
  t.equal(created.statusCode, 201);
  t.same(created.json(), { name: 'auditor', description: 'reads the audit log', system: false, permissions: ['audit:view'] });
  const duplicate = await gov.call('POST', '/roles', admin, { name: 'auditor', permissions: [] });
  t.equal(duplicate.statusCode, 409);
  t.match(duplicate.json(), { code: 'governance.role_exists' });
  const unknown = await gov.call('POST', '/roles', admin, { name: 'printer', permissions: ['audit:view', 'money:print'] });
  t.equal(unknown.statusCode, 422);
  t.match(unknown.json(), { code: 'validation_failed', errors: [{ path: 'body.permissions.1', message: 'unknown permission "money:print"' }] });
  const extra = await gov.call('POST', '/roles', admin, { name: 'x', permissions: [], colour: 'red' });
  t.equal(extra.statusCode, 422, 'unknown fields are rejected');
});

t.test('PATCH/DELETE /roles/{name}: 200 and 204 for custom roles, 422 governance.system_role for system ones', async (t) => {
  const gov = await openGovernance(t);
  await gov.call('POST', '/roles', admin, { name: 'clerk', permissions: ['user:read'] });
  const changed = await gov.call('PATCH', '/roles/clerk', admin, { permissions: ['user:read', 'audit:view'] });
  t.equal(changed.statusCode, 200);
  t.same(changed.json().permissions, ['user:read', 'audit:view']);
  t.equal((await gov.call('PATCH', '/roles/clerk', user, { description: 'x' })).statusCode, 403);
  for (const name of ['admin', 'staff', 'user', 'guest']) {
    const patch = await gov.call('PATCH', `/roles/${name}`, admin, { description: 'x' });
    t.equal(patch.statusCode, 422);
    t.match(patch.json(), { code: 'governance.system_role' });
    t.match((await gov.call('DELETE', `/roles/${name}`, admin)).json(), { status: 422, code: 'governance.system_role' });
  }
  t.equal((await gov.call('DELETE', '/roles/clerk', admin)).statusCode, 204);
  t.equal((await gov.call('DELETE', '/roles/clerk', admin)).statusCode, 404);
});

t.test('users/{userId}/roles: self or role:manage reads; PUT/DELETE need role:manage; the last admin stays', async (t) => {
  const gov = await openGovernance(t);
  const someone = person('user');
  const assigned = gov.expect('governance.role.assigned', 1, (e) => (e.data as { userId: string }).userId === someone.userId);
  t.equal((await gov.call('PUT', `/users/${someone.userId}/roles/staff`, admin)).statusCode, 204);
  t.match((await assigned)[0], { data: { userId: someone.userId, role: 'staff', by: admin.userId }, actor: { userId: admin.userId } });

  t.same((await gov.call('GET', `/users/${someone.userId}/roles`, someone)).json(), { roles: ['staff'] }, 'self');
  t.same((await gov.call('GET', `/users/${someone.userId}/roles`, admin)).json(), { roles: ['staff'] }, 'role:manage');
  t.equal((await gov.call('GET', `/users/${someone.userId}/roles`, user)).statusCode, 403, 'anyone else');
  t.equal((await gov.call('PUT', `/users/${someone.userId}/roles/staff`, user)).statusCode, 403);
  t.equal((await gov.call('PUT', `/users/${someone.userId}/roles/nope`, admin)).statusCode, 404);

  const revoked = gov.expect('governance.role.revoked', 1, (e) => (e.data as { userId: string }).userId === someone.userId);
  t.equal((await gov.call('DELETE', `/users/${someone.userId}/roles/staff`, admin)).statusCode, 204);
  t.match((await revoked)[0], { data: { userId: someone.userId, role: 'staff', by: admin.userId } }, 'a removal publishes governance.role.revoked');

  const onlyAdmin = uuidv7();
  t.equal((await gov.call('PUT', `/users/${onlyAdmin}/roles/admin`, admin)).statusCode, 204);
  const last = await gov.call('DELETE', `/users/${onlyAdmin}/roles/admin`, admin);
  t.equal(last.statusCode, 422);
  t.match(last.json(), { code: 'governance.last_admin' });
});
