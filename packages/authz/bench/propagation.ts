/**
 * Bundle propagation: from publishBundle() in this process to a decision changing in
 * ANOTHER process (a child watching the bucket). Each of 50 publishes toggles a forbid on
 * the child's request, so every bundle flips its decision; t0 just before publishBundle,
 * t1 when the child's line for that version arrives here (its stdout, through a pipe).
 * The bundle carries the full system roles and 1,000 custom policies (fixture.ts), one of
 * them changing per publish, as a save in governance would. Own subject root, bucket
 * deleted at the end. Version 1 is in the bucket before the child starts: it validates all
 * the policies once at start (reported apart), as a service does; the 50 timed saves after
 * it are what a change in governance costs. Missing the goal is reported, not an error.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { bundleBucketName, publishBundle, type PolicyBundle } from '../dist/index.js';
import { fixtureBundle } from './fixture.js';

const natsUrl = process.env.BENCH_NATS_URL || 'nats://127.0.0.1:4222';
const publishes = 50;
const goalP99Ms = 2_000;
const perPublishTimeoutMs = 30_000;

const root = `BENCHAUTHZ${randomBytes(4).toString('hex').toUpperCase()}`;
const names = { root };
const nc = await connect({ servers: natsUrl, name: 'authz-bench-publisher' });
const base = fixtureBundle();
const freeze = { id: 'freeze-bench', source: 'forbid (principal == Elcorp::User::"u-bench", action == Elcorp::Action::"payment:create", resource);' };
const bundle = (version: number): PolicyBundle => ({
  ...base,
  version,
  createdAt: new Date().toISOString(),
  // Replaces one fixture policy, so the count stays at 1,000 and the toggle is the change.
  policies: version % 2 === 1 ? [...base.policies.slice(1), freeze] : base.policies,
});

await publishBundle(nc, names, bundle(1));
const child = spawn(process.execPath, ['--enable-source-maps', fileURLToPath(new URL('./propagation-child.js', import.meta.url))], {
  env: { ...process.env, AUTHZ_BENCH_ROOT: root, BENCH_NATS_URL: natsUrl },
  stdio: ['pipe', 'pipe', 'inherit'],
});
const lines = createInterface({ input: child.stdout! });
type Line = { version?: number; decision?: string; ready?: number; startMs?: number };
const waiting: Array<(line: Line) => void> = [];
lines.on('line', (line) => waiting.shift()?.(JSON.parse(line)));
const nextLine = () =>
  new Promise<Line>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the watching process did not answer in time')), perPublishTimeoutMs);
    waiting.push((line) => {
      clearTimeout(timer);
      resolve(line);
    });
  });

const times: number[] = [];
let startup: Line = {};
try {
  // The child reports the bundle it applied at start, then that it is ready.
  do startup = await nextLine();
  while (startup.ready === undefined);
  if (startup.ready !== 1) throw new Error(`the watching process started on version ${startup.ready}, not 1`);
  for (let version = 2; version <= publishes + 1; version++) {
    const expected = version % 2 === 1 ? 'deny' : 'allow';
    const answer = nextLine();
    const start = performance.now();
    await publishBundle(nc, names, bundle(version));
    const line = await answer;
    times.push(performance.now() - start);
    if (line.version !== version || line.decision !== expected) throw new Error(`expected version ${version} → ${expected}, the child saw ${JSON.stringify(line)}`);
  }
} finally {
  child.stdin!.end();
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(`KV_${bundleBucketName(names)}`).catch(() => undefined);
  await nc.close();
}
times.sort((a, b) => a - b);
const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? NaN;
console.log(`authz bundle propagation — publish → decision changed in another process, ${publishes} publishes of ${base.policies.length} custom policies`);
console.log(`  p50 ${q(0.5).toFixed(1)} ms  p99 ${q(0.99).toFixed(1)} ms  max ${(times[times.length - 1] ?? NaN).toFixed(1)} ms`);
console.log(`  the watching process applied version 1 at start in ${startup.startMs?.toFixed(0)} ms (first validation of every policy)`);
console.log(`  goal p99 ≤ ${goalP99Ms} ms: ${q(0.99) <= goalP99Ms ? 'met' : 'NOT met'}`);
