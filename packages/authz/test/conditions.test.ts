import { permissions, type Permission } from '@elcorp/contracts';
import t from 'tap';
import { Authorizer, buildBundle, validatePolicy, type AuthzRequest, type AuthzResource } from '../src/index.js';

/**
 * Differential test of the JS condition evaluator: generated conditions over the whole
 * vocabulary, each decided by the JS path and by Cedar alone (conditionsInJs: false), on
 * requests with and without the optional facts. The two must agree on decision and ids.
 */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
const rand = random(20261130);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;

const longs = ['context.hourUtc', 'context.weekdayUtc', '3', '0', '-2', '12', '9007199254740993', '9223372036854775807'];
function long(depth: number): string {
  if (depth <= 0 || rand() < 0.5) return pick(longs);
  switch (Math.floor(rand() * 4)) {
    case 0:
      return `(${long(depth - 1)} + ${long(depth - 1)})`;
    case 1:
      return `(${long(depth - 1)} - ${long(depth - 1)})`;
    case 2:
      return `(${long(depth - 1)} * ${pick(['2', '1000000000000', '9223372036854775807'])})`;
    default:
      return `-${long(depth - 1)}`;
  }
}
const atoms = [
  () => `${long(2)} ${pick(['<', '<=', '>', '>=', '==', '!='])} ${long(2)}`,
  () => 'context.mfa',
  () => `context has amountMinor && context.amountMinor > ${pick(['0', '50000', '9007199254740993'])}`,
  () => `context.amountMinor ${pick(['>', '<='])} 50000`,
  () => 'context has ip && context.ip like "10.*.7"',
  () => 'context.ip == "10.0.0.7"',
  () => `context has currency && context.currency == "${pick(['NAD', 'ZAR'])}"`,
  () => 'resource has owner && resource.owner == principal',
  () => 'resource has owner && resource.owner in Elcorp::Role::"staff"',
  () => `principal in ${pick(['Elcorp::Role::"staff"', '[Elcorp::Role::"user", Elcorp::Role::"staff"]', 'Elcorp::User::"u-1"'])}`,
  () => `resource ${pick(['== principal', 'is Elcorp::Account', 'is Elcorp::User in Elcorp::Role::"staff"', 'in Elcorp::Role::"staff"', 'in [Elcorp::Role::"user", Elcorp::Account::"acc-1"]'])}`,
  () => `action ${pick(['== Elcorp::Action::"payment:create"', 'in [Elcorp::Action::"user:read", Elcorp::Action::"audit:view"]'])}`,
  () => `[Elcorp::Role::"a", Elcorp::Role::"b"].contains(Elcorp::Role::"${pick(['a', 'c'])}")`,
  () => `[1, 2, context.hourUtc].contains(${pick(['2', '13'])})`,
  () => `"x" ${pick(['==', '!='])} ${pick(['"x"', '1', 'principal'])}`,
];
function condition(depth: number): string {
  if (depth <= 0 || rand() < 0.35) return (pick(atoms) as () => string)();
  switch (Math.floor(rand() * 4)) {
    case 0:
      return `(${condition(depth - 1)} && ${condition(depth - 1)})`;
    case 1:
      return `(${condition(depth - 1)} || ${condition(depth - 1)})`;
    case 2:
      return `!(${condition(depth - 1)})`;
    default:
      return `(if ${condition(depth - 1)} then ${condition(depth - 1)} else ${condition(depth - 1)})`;
  }
}

const resources: AuthzResource[] = [
  { type: 'Account', id: 'acc-1', attributes: { owner: 'u-1' } },
  { type: 'Account', id: 'acc-2', attributes: { owner: 'u-2' } },
  { type: 'Account', id: 'acc-3' },
  { type: 'User', id: 'u-1' },
  { type: 'User', id: 'u-2' },
  { type: 'Role', id: 'staff' },
];
function request(): AuthzRequest {
  const action = pick(['payment:create', 'user:read', 'audit:view', 'payment:approve'] as Permission[]);
  return {
    principal: { userId: pick(['u-1', 'u-2']), roles: pick([[], ['staff'], ['user'], ['user', 'staff']]) },
    action,
    resource: pick(resources),
    context: {
      hourUtc: Math.floor(rand() * 24),
      weekdayUtc: Math.floor(rand() * 7),
      mfa: rand() < 0.5,
      ...(rand() < 0.8 ? { amountMinor: pick([0, 50000, 50001, 9_007_199_254_740_991]) } : {}),
      ...(rand() < 0.7 ? { currency: pick(['NAD', 'ZAR']) } : {}),
      ...(rand() < 0.5 ? { ip: pick(['10.0.0.7', '10.1.2.7', '192.0.2.1', '10.7']) } : {}),
    },
  };
}

t.test('JS conditions decide exactly as Cedar does', async (t) => {
  let policies = 0;
  let comparisons = 0;
  let viaJs = 0;
  for (let attempt = 0; policies < 120 && attempt < 2_000; attempt++) {
    const effect = pick(['permit', 'forbid'] as const);
    const source = `${effect} (principal, action, resource) ${pick(['when', 'unless'])} { ${condition(3)} };`;
    if (!validatePolicy(source, 'p').ok) continue; // only what a bundle may carry
    policies += 1;
    // A forbid is only visible next to a permit; the role grants everything to `user`.
    const bundle = buildBundle({ version: 1, roles: { user: [...permissions] }, policies: [{ id: 'p', source }] });
    const js = new Authorizer({ bundle });
    const cedar = new Authorizer({ bundle, conditionsInJs: false });
    for (let i = 0; i < 25; i++) {
      const r = request();
      t.same(js.decide(r), cedar.decide(r), `${source} on ${JSON.stringify(r)}`);
      comparisons += 1;
    }
    viaJs += js.stats.cedarEvaluations < js.stats.decisions ? 1 : 0;
  }
  t.ok(policies >= 100, `${policies} generated policies validated`);
  t.ok(viaJs >= policies / 2, `${viaJs} of ${policies} policies were (at least partly) decided in JS`);
  t.comment(`${comparisons} decisions compared`);
});
