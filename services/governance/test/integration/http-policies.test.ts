import { watchBundles } from '@elcorp/authz';
import { createLogger } from '@elcorp/kit';
import t from 'tap';
import { openGovernance, person } from './client.js';

const admin = person('admin');
const staff = person('staff');

const forbidLargeTransfers = (userId: string) =>
  `forbid (principal == Elcorp::User::"${userId}", action == Elcorp::Action::"payment:create", resource) when { context.amountMinor > 50000 };`;

t.test('POST/GET/DELETE /policies need policy:manage; saving publishes a bundle and governance.policy.published', async (t) => {
  const gov = await openGovernance(t);
  const body = { id: 'no-large-transfers', description: 'cap one user', source: forbidLargeTransfers(staff.userId) };
  t.equal((await gov.call('POST', '/policies', staff, body)).statusCode, 403, 'staff lacks policy:manage');
  t.equal((await gov.call('GET', '/policies', staff)).statusCode, 403);

  const published = gov.expect('governance.policy.published', 1, (e) => (e.data as { policyIds: string[] }).policyIds.includes(body.id));
  // Another process's view: a watcher on the same KV bucket, as every service runs one.
  let applied!: (version: number) => void;
  const inKv = new Promise<number>((resolve) => (applied = resolve));
  const watcher = await watchBundles(gov.nc, { root: gov.subjectRoot }, { logger: createLogger({ service: 'watcher', level: 'silent' }), onApplied: (v) => v >= 2 && applied(v) });
  t.teardown(() => watcher.stop());
  const created = await gov.call('POST', '/policies', admin, body);
  t.equal(created.statusCode, 201);
  t.match(created.json(), { id: body.id, description: 'cap one user', source: body.source, createdBy: admin.userId });
  t.match((await published)[0], { data: { bundleVersion: 2, policyIds: [body.id] } });
  t.equal(await inKv, 2, 'the bundle reached KV and loads in another authorizer');
  t.ok(watcher.authorizer.policyIds.includes(body.id));

  const list = await gov.call('GET', '/policies?limit=10', admin);
  t.equal(list.statusCode, 200);
  t.match(list.json(), { items: [{ id: body.id }], nextCursor: null });
  t.equal((await gov.call('POST', '/policies', admin, body)).statusCode, 409, 'the id is taken');

  const unpublished = gov.expect('governance.policy.published', 1, (e) => (e.data as { bundleVersion: number }).bundleVersion === 3);
  t.equal((await gov.call('DELETE', `/policies/${body.id}`, staff)).statusCode, 403);
  t.equal((await gov.call('DELETE', `/policies/${body.id}`, admin)).statusCode, 204);
  t.match((await unpublished)[0], { data: { policyIds: [] } });
  t.equal((await gov.call('DELETE', `/policies/${body.id}`, admin)).statusCode, 404);
});

t.test('a policy Cedar rejects is 422 with the validator\'s messages', async (t) => {
  const gov = await openGovernance(t);
  const typo = await gov.call('POST', '/policies', admin, { id: 'typo', source: 'permit (principal, action == Elcorp::Action::"payment:fly", resource);' });
  t.equal(typo.statusCode, 422);
  t.match(typo.json(), { code: 'validation_failed', errors: [{ path: 'body.source', message: /payment:fly/ }] });
  const syntax = await gov.call('POST', '/policies', admin, { id: 'broken', source: 'permit (principal' });
  t.equal(syntax.statusCode, 422);
  t.ok(syntax.json().errors.length > 0);
  const reserved = await gov.call('POST', '/policies', admin, { id: 'role:admin', source: 'permit (principal, action, resource);' });
  t.equal(reserved.statusCode, 422, 'generated role policy ids are not for custom policies');
});

t.test('POST /authorize explains a decision with the deciding policies, for the principal\'s recorded roles', async (t) => {
  const gov = await openGovernance(t);
  const target = person('user');
  t.equal((await gov.call('PUT', `/users/${target.userId}/roles/user`, admin)).statusCode, 204);
  const query = { principal: { userId: target.userId }, action: 'payment:create', resource: { type: 'Account', id: 'acc-1', attributes: { owner: target.userId } }, context: { amountMinor: 60000, currency: 'NAD' } };
  t.equal((await gov.call('POST', '/authorize', staff, query)).statusCode, 403, 'policy:manage only');

  const allowed = await gov.call('POST', '/authorize', admin, query);
  t.equal(allowed.statusCode, 200);
  t.match(allowed.json(), { decision: 'allow', policies: [/^role:user/] });

  await gov.call('POST', '/policies', admin, { id: 'cap', source: forbidLargeTransfers(target.userId) });
  // The saving replica decides with its new bundle at once; other processes follow through KV.
  const denied = await gov.call('POST', '/authorize', admin, query);
  t.same(denied.json(), { decision: 'deny', policies: ['cap'] });
  t.match((await gov.call('POST', '/authorize', admin, { ...query, context: { amountMinor: 100 } })).json(), { decision: 'allow' });
  t.equal((await gov.call('POST', '/authorize', admin, { ...query, action: 'money:print' })).statusCode, 422);
});

t.test('a permission added to a custom role changes decisions through the bundle, without new tokens', async (t) => {
  const gov = await openGovernance(t);
  const holder = person('auditor');
  await gov.call('POST', '/roles', admin, { name: 'auditor', permissions: ['user:read'] });
  await gov.call('PUT', `/users/${holder.userId}/roles/auditor`, admin);
  const query = { principal: { userId: holder.userId }, action: 'audit:view', resource: { type: 'AuditLog', id: 'log' } };
  t.same((await gov.call('POST', '/authorize', admin, query)).json(), { decision: 'deny', policies: [] }, 'default deny');
  t.equal((await gov.call('PATCH', '/roles/auditor', admin, { permissions: ['user:read', 'audit:view'] })).statusCode, 200);
  t.match((await gov.call('POST', '/authorize', admin, query)).json(), { decision: 'allow', policies: [/^role:auditor/] });
});
