import { buildBundle, publishBundle } from '@elcorp/authz';
import { systemRoles } from '@elcorp/contracts';
import { testConfig } from '@elcorp/testing';
import { connect } from '@nats-io/transport-node';
import t from 'tap';
import { policyBundlesOf } from '../../src/infrastructure/policy-bundles.js';
import { openIdentity, signedInUser, strongPassword } from './client.js';

const noDirectoryForStaff = 'no-directory-for-staff';
const forbidSource = 'forbid (principal in Elcorp::Role::"staff", action == Elcorp::Action::"user:read", resource);';

t.test('a forbid policy published to the bundle bucket refuses staff the directory; a newer bundle without it lifts it', async (t) => {
  const identity = await openIdentity(t);
  const bundles = policyBundlesOf(identity.app);
  if (!bundles) throw new Error('identity started without its policy bundles');
  t.equal(bundles.authorizer.version, 0, 'the built-in system bundle decides until governance publishes');

  const staff = await signedInUser(identity);
  const other = await signedInUser(identity);
  // The role as governance's projection would hold it; the next sign-in carries it.
  await identity.query('INSERT INTO user_roles (user_id, role) VALUES ($1, $2)', [staff.user.id, 'staff']);
  const session = await staff.device.login(staff.body.email, strongPassword);
  t.equal((await staff.device.call('GET', '/api/v1/users', { session })).statusCode, 200, 'staff hold user:read');
  t.equal((await staff.device.call('GET', `/api/v1/users/${other.user.id}`, { session })).statusCode, 200);

  const nc = await connect({ servers: testConfig.natsUrl });
  t.teardown(() => nc.close());
  const names = { root: identity.subjectRoot };
  await publishBundle(nc, names, buildBundle({ version: 1, roles: systemRoles, policies: [{ id: noDirectoryForStaff, source: forbidSource }] }));
  await bundles.applied(1);

  const refused = await staff.device.call('GET', '/api/v1/users', { session });
  t.equal(refused.statusCode, 403, 'the forbid wins over the staff role, without signing in again');
  t.match(refused.json(), { code: 'authz.denied', status: 403, policies: [noDirectoryForStaff] });
  const someoneElse = await staff.device.call('GET', `/api/v1/users/${other.user.id}`, { session });
  t.equal(someoneElse.statusCode, 403, 'a forbid names itself rather than hiding behind a 404');
  t.same(someoneElse.json().policies, [noDirectoryForStaff]);
  t.equal((await staff.device.call('GET', `/api/v1/users/${staff.user.id}`, { session })).statusCode, 200, 'self needs no user:read');

  await publishBundle(nc, names, buildBundle({ version: 2, roles: systemRoles, policies: [] }));
  await bundles.applied(2);
  t.equal((await staff.device.call('GET', '/api/v1/users', { session })).statusCode, 200, 'deleting the policy lifts it');
});

t.test('a permission added to a role through the bundle grants it without a new token', async (t) => {
  const identity = await openIdentity(t);
  const bundles = policyBundlesOf(identity.app)!;
  const plain = await signedInUser(identity);
  const target = await signedInUser(identity);
  const unlock = `/api/v1/users/${target.user.id}/unlock`;
  const denied = await plain.device.call('POST', unlock, { session: plain.session });
  t.equal(denied.statusCode, 403);
  t.match(denied.json(), { code: 'authz.denied', policies: [] }, 'the default deny names no policy');

  const nc = await connect({ servers: testConfig.natsUrl });
  t.teardown(() => nc.close());
  await publishBundle(nc, { root: identity.subjectRoot }, buildBundle({ version: 1, roles: { ...systemRoles, user: [...systemRoles.user, 'user:update'] }, policies: [] }));
  await bundles.applied(1);
  t.equal((await plain.device.call('POST', unlock, { session: plain.session })).statusCode, 204, 'the role now grants user:update');
  t.equal((await plain.device.call('DELETE', `/api/v1/users/${target.user.id}`, { session: plain.session })).statusCode, 403, 'and nothing more');
});
