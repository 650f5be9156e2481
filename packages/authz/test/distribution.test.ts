import type { BrokerNames } from '@elcorp/contracts';
import { testNatsPrefix } from '@elcorp/testing';
import { connect } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import {
  StaleBundleError,
  bundleBucketName,
  bundleKey,
  buildBundle,
  openBundleBucket,
  publishBundle,
  systemBundle,
  watchBundles,
  type Authorizer,
  type PolicyBundle,
} from '../src/index.js';
import { capturedLogger } from './helpers.js';

const forbidU1 = { id: 'freeze-u-1', source: 'forbid (principal == Elcorp::User::"u-1", action == Elcorp::Action::"payment:create", resource);' };
const bundle = (version: number, policies: PolicyBundle['policies'] = []) => buildBundle({ version, roles: systemBundle.roles, policies });
const transferBy = (authorizer: Authorizer) =>
  authorizer.decide({ principal: { userId: 'u-1', roles: ['user'] }, action: 'payment:create', resource: { type: 'Account', id: 'a' }, context: { amountMinor: 1, currency: 'NAD' } });

type Seen = { kind: 'applied'; version: number } | { kind: 'refused'; version: number | undefined; errors: string[] };

/** A watcher whose applied/refused bundles the test awaits one by one (no sleeps). */
async function watcher(t: Test, names: BrokerNames, url: string) {
  const nc = await connect({ servers: url });
  const seen: Seen[] = [];
  const waiting: Array<(s: Seen) => void> = [];
  const record = (s: Seen) => {
    const next = waiting.shift();
    if (next) next(s);
    else seen.push(s);
  };
  const { logger, lines } = capturedLogger('info');
  const registry = new Registry();
  const watch = await watchBundles(nc, names, {
    logger,
    registry,
    onApplied: (version) => record({ kind: 'applied', version }),
    onRefused: (version, errors) => record({ kind: 'refused', version, errors }),
  });
  t.teardown(async () => {
    await watch.stop();
    await nc.close();
  });
  const next = () => new Promise<Seen>((resolve) => {
    const queued = seen.shift();
    if (queued) resolve(queued);
    else waiting.push(resolve);
  });
  return { ...watch, next, lines, registry };
}

async function setup(t: Test) {
  const { prefix, url } = await testNatsPrefix(t);
  const names = { root: prefix };
  const nc = await connect({ servers: url });
  t.teardown(() => nc.close());
  return { names, url, nc };
}

t.test('a published bundle changes decisions in a watching process, and its successor lifts them', async (t) => {
  const { names, url, nc } = await setup(t);
  t.equal(bundleBucketName(names), `${names.root}_AUTHZ`);
  const w = await watcher(t, names, url);
  t.equal(w.authorizer.version, 0, 'the built-in bundle until one is published');
  t.equal(transferBy(w.authorizer).decision, 'allow');

  await publishBundle(nc, names, bundle(1, [forbidU1]));
  t.same(await w.next(), { kind: 'applied', version: 1 });
  t.same(transferBy(w.authorizer), { decision: 'deny', policies: ['freeze-u-1'] });

  await publishBundle(nc, names, bundle(2));
  t.same(await w.next(), { kind: 'applied', version: 2 });
  t.equal(transferBy(w.authorizer).decision, 'allow');
  t.match(await w.registry.metrics(), /elcorp_authz_bundle_version 2/);
  t.ok(w.lines.some((l) => l['msg'] === 'authz: policy bundle applied' && l['version'] === 2));
});

t.test('a watcher started after a publish begins with that bundle', async (t) => {
  const { names, url, nc } = await setup(t);
  await publishBundle(nc, names, bundle(4, [forbidU1]));
  const w = await watcher(t, names, url);
  t.equal(w.authorizer.version, 4, 'applied before watchBundles resolves');
  t.same(await w.next(), { kind: 'applied', version: 4 });
  t.equal(transferBy(w.authorizer).decision, 'deny');
});

t.test('an invalid bundle never replaces the running one', async (t) => {
  const { names, url, nc } = await setup(t);
  const w = await watcher(t, names, url);
  await publishBundle(nc, names, bundle(1, [forbidU1]));
  t.same(await w.next(), { kind: 'applied', version: 1 });

  // A writer that skipped the checks (or a corrupted value) must not take effect anywhere.
  const kv = await openBundleBucket(nc, names);
  const broken = { ...bundle(2), policies: [{ id: 'oops', source: 'forbid (principal, action, resource' }] };
  await kv.put(bundleKey, JSON.stringify(broken));
  const refused = await w.next();
  t.match(refused, { kind: 'refused', version: 2 });
  t.match((refused as { errors: string[] }).errors.join('\n'), /unexpected end of input/);
  t.equal(w.authorizer.version, 1);
  t.same(transferBy(w.authorizer), { decision: 'deny', policies: ['freeze-u-1'] }, 'the last good bundle still decides');

  await kv.put(bundleKey, '{not json');
  t.match(await w.next(), { kind: 'refused', version: undefined });
  await kv.put(bundleKey, JSON.stringify({ ...bundle(3), roles: { user: ['payment:teleport'] } }));
  t.match(await w.next(), { kind: 'refused', version: 3, errors: ['role user: unknown permission payment:teleport'] });
  t.equal(w.authorizer.version, 1);
  t.match(await w.registry.metrics(), /elcorp_authz_bundle_loads_total\{outcome="refused"\} 3/);
  t.ok(w.lines.some((l) => l['level'] === 50 && l['msg'] === 'authz: policy bundle refused, keeping the one in force'));

  await t.rejects(publishBundle(nc, names, broken), /unexpected end of input/, 'the writer refuses it too');
  await publishBundle(nc, names, bundle(5));
  t.same(await w.next(), { kind: 'applied', version: 5 }, 'a good bundle after bad ones applies');
  t.equal(transferBy(w.authorizer).decision, 'allow');
});

t.test('a version older than the one in force is ignored', async (t) => {
  const { names, url, nc } = await setup(t);
  const w = await watcher(t, names, url);
  await publishBundle(nc, names, bundle(3, [forbidU1]));
  t.same(await w.next(), { kind: 'applied', version: 3 });
  await t.rejects(publishBundle(nc, names, bundle(2)), StaleBundleError, 'the writer will not go back');

  const kv = await openBundleBucket(nc, names);
  await kv.put(bundleKey, JSON.stringify(bundle(2)));
  await kv.put(bundleKey, JSON.stringify(bundle(3)));
  await publishBundle(nc, names, bundle(4, [forbidU1]));
  // Entries arrive in order: had 2 or the replayed 3 been applied, they would show here first.
  t.same(await w.next(), { kind: 'applied', version: 4 });
  t.equal(transferBy(w.authorizer).decision, 'deny', 'version 2 (no forbid) never took effect');
  t.match(await w.registry.metrics(), /elcorp_authz_bundle_loads_total\{outcome="ignored"\} [2-9]/);
});
