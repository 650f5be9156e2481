import { permissions, systemRoles, type Permission } from '@elcorp/contracts';
import t from 'tap';
import { Authorizer, buildBundle, rolePolicies, systemBundle, type AuthzRequest, type AuthzResource } from '../src/index.js';

const account: AuthzResource = { type: 'Account', id: 'acc-1', attributes: { owner: 'u-owner' } };
const ask = (authorizer: Authorizer, roles: string[], action: Permission, extra: Partial<AuthzRequest> = {}) =>
  authorizer.decide({ principal: { userId: 'u-1', roles }, action, resource: account, ...extra });

const bigTransferForbid =
  'forbid (principal == Elcorp::User::"u-1", action == Elcorp::Action::"payment:create", resource) when { context.amountMinor > 50000 };';

function withPolicies(policies: Array<{ id: string; source: string }>, roles: Record<string, Permission[]> = systemBundle.roles): Authorizer {
  return new Authorizer({ bundle: buildBundle({ version: 1, roles, policies }) });
}

t.test('the built-in bundle grants exactly the system roles of API.md', async (t) => {
  const authorizer = new Authorizer();
  t.equal(authorizer.version, 0);
  for (const [role, granted] of Object.entries(systemRoles)) {
    for (const action of permissions) {
      const { decision, policies } = ask(authorizer, [role], action, { context: { amountMinor: 100, currency: 'NAD' } });
      const expected = granted.includes(action);
      t.equal(decision, expected ? 'allow' : 'deny', `${role} ${action}`);
      t.same(policies, expected ? [`role:${role}`] : [], `${role} ${action} deciding policies`);
    }
  }
  t.same(ask(authorizer, ['user', 'staff'], 'payment:create').policies, ['role:staff', 'role:user'], 'every satisfied permit is named');
  t.equal(ask(authorizer, [], 'user:read').decision, 'deny', 'no role, default deny');
});

t.test('role policies are generated per role, none for a role without permissions', async (t) => {
  const policies = rolePolicies({ staff: ['user:read', 'payment:create', 'user:read'], guest: [] });
  t.same(policies, [
    { id: 'role:staff', source: 'permit(principal in Elcorp::Role::"staff", action in [Elcorp::Action::"payment:create", Elcorp::Action::"user:read"], resource);' },
  ]);
  const odd = rolePolicies({ 'say "hi"\\': ['audit:view'] });
  t.equal(odd[0]?.source, 'permit(principal in Elcorp::Role::"say \\"hi\\"\\\\", action in [Elcorp::Action::"audit:view"], resource);');
  const authorizer = withPolicies([], { 'say "hi"\\': ['audit:view'] });
  t.equal(ask(authorizer, ['say "hi"\\'], 'audit:view').decision, 'allow', 'a quoted role name still means that role');
  t.equal(ask(authorizer, ['say "hi"'], 'audit:view').decision, 'deny');
});

t.test('a role named like an Object prototype member grants nothing', async (t) => {
  const authorizer = new Authorizer();
  for (const role of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    for (const action of permissions) t.equal(ask(authorizer, [role], action).decision, 'deny', `${role} ${action}`);
  }
  // A bundle from the wire may carry such a role as an own key; it grants what it lists, no more.
  const wire = JSON.parse('{"version":3,"createdAt":"2026-01-01T00:00:00.000Z","roles":{"__proto__":["audit:view"],"constructor":[]},"policies":[]}');
  const custom = new Authorizer({ bundle: wire });
  t.equal(ask(custom, ['__proto__'], 'audit:view').decision, 'allow');
  t.equal(ask(custom, ['__proto__'], 'user:read').decision, 'deny');
  t.equal(ask(custom, ['constructor'], 'user:read').decision, 'deny');
  t.equal(ask(custom, ['admin'], 'user:read').decision, 'deny', 'roles come from the bundle only');
});

t.test('a custom permit grants beyond the roles', async (t) => {
  const authorizer = withPolicies([
    { id: 'owners-reconcile', source: 'permit (principal, action == Elcorp::Action::"payment:reconcile", resource is Elcorp::Account) when { resource has owner && resource.owner == principal };' },
  ]);
  t.same(ask(authorizer, ['user'], 'payment:reconcile'), { decision: 'deny', policies: [] }, 'not the owner');
  const own = { type: 'Account', id: 'acc-2', attributes: { owner: 'u-1' } } as const;
  t.same(ask(authorizer, ['user'], 'payment:reconcile', { resource: own }), { decision: 'allow', policies: ['owners-reconcile'] });
  t.equal(ask(authorizer, ['user'], 'payment:reconcile', { resource: { type: 'Account', id: 'acc-3' } }).decision, 'deny', 'no owner known');
});

t.test('forbid wins: the API.md example on context.amountMinor', async (t) => {
  const authorizer = withPolicies([{ id: 'cap-u-1', source: bigTransferForbid }]);
  t.same(ask(authorizer, ['user'], 'payment:create', { context: { amountMinor: 50001, currency: 'NAD' } }), { decision: 'deny', policies: ['cap-u-1'] });
  t.same(ask(authorizer, ['admin'], 'payment:create', { context: { amountMinor: 9_000_000, currency: 'NAD' } }), { decision: 'deny', policies: ['cap-u-1'] }, 'over any role');
  t.same(ask(authorizer, ['user'], 'payment:create', { context: { amountMinor: 50000, currency: 'NAD' } }), { decision: 'allow', policies: ['role:user'] });
  const other = authorizer.decide({ principal: { userId: 'u-2', roles: ['user'] }, action: 'payment:create', resource: account, context: { amountMinor: 60000, currency: 'NAD' } });
  t.equal(other.decision, 'allow', 'another user is not capped');
  t.same(ask(authorizer, ['user'], 'payment:create'), { decision: 'deny', policies: ['cap-u-1'] }, 'a forbid that cannot be evaluated (no amount) still forbids');
});

t.test('unconditional forbids, role-scoped forbids and default deny', async (t) => {
  const authorizer = withPolicies([
    { id: 'no-staff-approvals', source: 'forbid (principal in Elcorp::Role::"staff", action == Elcorp::Action::"payment:approve", resource);' },
    { id: 'night', source: 'forbid (principal, action in [Elcorp::Action::"user:delete", Elcorp::Action::"role:manage"], resource) unless { context.hourUtc >= 6 && context.hourUtc < 20 };' },
    { id: 'mfa-export', source: 'forbid (principal, action == Elcorp::Action::"audit:export", resource) unless { context.mfa };' },
  ]);
  const money = { amountMinor: 10, currency: 'NAD' };
  t.same(ask(authorizer, ['staff'], 'payment:approve', { context: money }), { decision: 'deny', policies: ['no-staff-approvals'] });
  t.same(ask(authorizer, ['admin', 'staff'], 'payment:approve', { context: money }), { decision: 'deny', policies: ['no-staff-approvals'] });
  t.equal(ask(authorizer, ['admin'], 'payment:approve', { context: money }).decision, 'allow');
  t.same(ask(authorizer, ['admin'], 'user:delete', { context: { hourUtc: 3 } }), { decision: 'deny', policies: ['night'] });
  t.equal(ask(authorizer, ['admin'], 'user:delete', { context: { hourUtc: 10 } }).decision, 'allow');
  t.same(ask(authorizer, ['admin'], 'audit:export'), { decision: 'deny', policies: ['mfa-export'] }, 'mfa defaults to false');
  t.equal(ask(authorizer, ['admin'], 'audit:export', { context: { mfa: true } }).decision, 'allow');
  t.same(ask(authorizer, ['user'], 'incident:manage'), { decision: 'deny', policies: [] }, 'default deny names no policy');
});

t.test('hour and weekday come from the clock when the caller gives none', async (t) => {
  const bundle = buildBundle({
    version: 1,
    roles: systemBundle.roles,
    policies: [{ id: 'weekend', source: 'forbid (principal, action == Elcorp::Action::"user:create", resource) when { context.weekdayUtc == 0 || context.weekdayUtc == 6 };' }],
  });
  let now = new Date('2026-11-28T12:00:00Z'); // a Saturday
  const authorizer = new Authorizer({ bundle, now: () => now });
  t.same(ask(authorizer, ['admin'], 'user:create'), { decision: 'deny', policies: ['weekend'] });
  now = new Date('2026-11-30T12:00:00Z'); // a Monday
  t.equal(ask(authorizer, ['admin'], 'user:create').decision, 'allow');
  t.equal(ask(authorizer, ['admin'], 'user:create', { context: { weekdayUtc: 6 } }).decision, 'deny', 'a given weekday wins over the clock');
});

t.test('a user may be the resource: self-service policies see the principal', async (t) => {
  const authorizer = withPolicies([{ id: 'self-update', source: 'permit (principal, action == Elcorp::Action::"user:update", resource) when { resource == principal };' }]);
  const me = { type: 'User', id: 'u-1' } as const;
  t.same(ask(authorizer, ['user'], 'user:update', { resource: me }), { decision: 'allow', policies: ['self-update'] });
  t.equal(ask(authorizer, ['user'], 'user:update', { resource: { type: 'User', id: 'u-9' } }).decision, 'deny');
});

t.test('a scope-only fast path agrees with Cedar on every scope form', async (t) => {
  // The same policies with and without a trivially true condition: the first are decided by
  // scope in JS, the second by Cedar. Every request must get the same answer from both.
  const scopes = [
    'principal, action, resource',
    'principal == Elcorp::User::"u-1", action, resource',
    'principal in Elcorp::Role::"staff", action == Elcorp::Action::"audit:view", resource',
    'principal is Elcorp::User in Elcorp::Role::"user", action in [Elcorp::Action::"audit:view", Elcorp::Action::"user:read"], resource',
    'principal in Elcorp::User::"u-2", action, resource is Elcorp::Account',
    'principal, action, resource == Elcorp::Account::"acc-1"',
    'principal, action, resource in Elcorp::Role::"staff"',
    'principal, action == Elcorp::Action::"user:read", resource is Elcorp::User in Elcorp::Role::"user"',
  ];
  const make = (effect: 'permit' | 'forbid', conditional: boolean) =>
    scopes.map((scope, i) => ({ id: `${effect}-${i}`, source: `${effect} (${scope})${conditional ? ' when { 1 == 1 }' : ''};` }));
  const roles = { staff: [] as Permission[], user: [] as Permission[] };
  for (const effect of ['permit', 'forbid'] as const) {
    for (let i = 0; i < scopes.length; i++) {
      const fast = withPolicies([make(effect, false)[i]!], roles);
      const slow = new Authorizer({ bundle: buildBundle({ version: 1, roles, policies: [make(effect, true)[i]!] }), conditionsInJs: false });
      for (const userId of ['u-1', 'u-2']) {
        for (const principalRoles of [[], ['staff'], ['user'], ['staff', 'user']]) {
          for (const action of ['audit:view', 'user:read', 'payment:reconcile'] as const) {
            for (const resource of [account, { type: 'Account', id: 'acc-9' }, { type: 'User', id: 'u-1' }, { type: 'User', id: 'u-2' }] as AuthzResource[]) {
              const request = { principal: { userId, roles: principalRoles }, action, resource };
              t.same(fast.decide(request).decision, slow.decide(request).decision, `${effect} (${scopes[i]}) for ${userId} ${principalRoles.join('+')} ${action} ${resource.type}::${resource.id}`);
            }
          }
        }
      }
    }
  }
});

t.test('bad input to decide is a programming error, not a decision', async (t) => {
  const authorizer = withPolicies([{ id: 'cap-u-1', source: bigTransferForbid }]);
  t.throws(() => ask(authorizer, ['user'], 'payment:create', { context: { amountMinor: 10.5, currency: 'NAD' } }), /integer/);
  t.throws(() => authorizer.decide({ principal: { userId: 'u-1', roles: [] }, action: 'user:read', resource: { type: 'Nope' as 'User', id: 'x' } }), /unknown resource type/);
  t.same(authorizer.decide({ principal: { userId: 'u-1', roles: ['admin'] }, action: 'not:a-permission' as Permission, resource: account }), { decision: 'deny', policies: [] });
});

t.test('many condition combinations stay correct when parsed sets are recycled', async (t) => {
  const policies = Array.from({ length: 20 }, (_, i) => ({
    id: `cap-${i}`,
    source: `forbid (principal == Elcorp::User::"u-${i}", action == Elcorp::Action::"payment:create", resource) when { context.amountMinor > ${i * 100} };`,
  }));
  const authorizer = new Authorizer({ bundle: buildBundle({ version: 1, roles: systemBundle.roles, policies }), parsedSetsMax: 3 });
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 20; i++) {
      const request = { principal: { userId: `u-${i}`, roles: ['user'] }, action: 'payment:create' as const, resource: account };
      t.same(authorizer.decide({ ...request, context: { amountMinor: i * 100 + 1, currency: 'NAD' } }), { decision: 'deny', policies: [`cap-${i}`] });
      t.equal(authorizer.decide({ ...request, context: { amountMinor: i * 100, currency: 'NAD' } }).decision, 'allow');
    }
  }
});
