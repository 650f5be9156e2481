/**
 * In-process decision latency: the full system bundle plus 1,000 custom policies (see
 * fixture.ts for the mix), requests spread over every action and over users with and
 * without policies of their own. Each decision is timed alone with process.hrtime.bigint.
 * For comparison, a few hundred decisions the naive way: cedar-wasm's isAuthorized with the
 * whole policy set handed over (and parsed) on every call. Missing the goal is reported,
 * not an error.
 */
import { isAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { rolePolicies } from '../dist/index.js';
import { Authorizer } from '../dist/index.js';
import { fixtureBundle, fixtureRequests } from './fixture.js';

const goalP99Us = 50;
const warmup = 5_000;
const measured = 50_000;
const naiveSamples = 200;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const fmt = (us: number) => `${us.toFixed(1)} µs`;

function timeEach(run: (i: number) => void, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    run(i);
    out[i] = Number(process.hrtime.bigint() - start) / 1_000;
  }
  return out.sort((a, b) => a - b);
}

const bundle = fixtureBundle();
const loadStart = performance.now();
const authorizer = new Authorizer({ bundle });
const loadMs = performance.now() - loadStart;
const requests = fixtureRequests(measured);

timeEach((i) => authorizer.decide(requests[i % requests.length]!), warmup);
authorizer.stats.decisions = 0;
authorizer.stats.cedarEvaluations = 0;
let allowed = 0;
const times = timeEach((i) => {
  if (authorizer.decide(requests[i]!).decision === 'allow') allowed += 1;
}, measured);
const viaCedar = authorizer.stats.cedarEvaluations;

// The same requests, split by whether a conditional policy sent them to Cedar.
const fast: number[] = [];
const slow: number[] = [];
for (let i = 0; i < 20_000; i++) {
  const before = authorizer.stats.cedarEvaluations;
  const start = process.hrtime.bigint();
  authorizer.decide(requests[i]!);
  const us = Number(process.hrtime.bigint() - start) / 1_000;
  (authorizer.stats.cedarEvaluations > before ? slow : fast).push(us);
}
fast.sort((a, b) => a - b);
slow.sort((a, b) => a - b);

// Every condition through Cedar (statefulIsAuthorized on a preparsed set), for comparison.
const cedarOnly = new Authorizer({ bundle, conditionsInJs: false });
timeEach((i) => cedarOnly.decide(requests[i]!), 2_000);
const cedarOnlyTimes = timeEach((i) => cedarOnly.decide(requests[i]!), 10_000);

const staticPolicies: Record<string, string> = {};
for (const p of [...rolePolicies(bundle.roles), ...bundle.policies]) staticPolicies[p.id] = p.source;
const naive = timeEach((i) => {
  const r = requests[i]!;
  isAuthorized({
    principal: { type: 'Elcorp::User', id: r.principal.userId },
    action: { type: 'Elcorp::Action', id: r.action },
    resource: { type: `Elcorp::${r.resource.type}`, id: r.resource.id },
    context: { hourUtc: 12, weekdayUtc: 1, mfa: false, ...(r.context as Record<string, string | number | boolean>) },
    policies: { staticPolicies },
    entities: [{ uid: { type: 'Elcorp::User', id: r.principal.userId }, attrs: {}, parents: r.principal.roles.map((id) => ({ type: 'Elcorp::Role', id })) }],
  });
}, naiveSamples);

const p99 = quantile(times, 0.99);
console.log(`authz decision latency — ${authorizer.policyIds.length} policies (${bundle.policies.length} custom, ${Object.keys(bundle.roles).length} roles), bundle load ${loadMs.toFixed(0)} ms`);
console.log(`  all decisions (${measured}, ${((allowed / measured) * 100).toFixed(0)}% allowed, ${((viaCedar / measured) * 100).toFixed(1)}% needed Cedar): p50 ${fmt(quantile(times, 0.5))}  p99 ${fmt(p99)}  p99.9 ${fmt(quantile(times, 0.999))}  max ${fmt(times[times.length - 1] ?? NaN)}`);
console.log(`  decided in JS (${fast.length}): p50 ${fmt(quantile(fast, 0.5))}  p99 ${fmt(quantile(fast, 0.99))}`);
console.log(
  slow.length === 0
    ? '  via Cedar: none (every condition of the fixture is within the JS subset; see the next line for what Cedar costs)'
    : `  with a condition outside the JS subset, via Cedar (${slow.length}): p50 ${fmt(quantile(slow, 0.5))}  p99 ${fmt(quantile(slow, 0.99))}`,
);
console.log(`  conditions through Cedar instead of JS (10000): p50 ${fmt(quantile(cedarOnlyTimes, 0.5))}  p99 ${fmt(quantile(cedarOnlyTimes, 0.99))}`);
console.log(`  naive isAuthorized with the whole set per call (${naiveSamples}): p50 ${fmt(quantile(naive, 0.5))}  p99 ${fmt(quantile(naive, 0.99))}`);
console.log(`  goal p99 ≤ ${goalP99Us} µs: ${p99 <= goalP99Us ? 'met' : 'NOT met'}`);
