// pnpm --filter @elcorp/governance bench
// Policy propagation end to end: from a policy save in governance (validate, commit with the
// bundle version and its event, put into NATS KV) to a decision changing in ANOTHER process
// that watches the bucket, as every service does. 50 saves alternate adding and deleting a
// forbid on the child's probe request, so each flips its decision. Goal: p99 ≤ 2 s. Runs on
// a schema and subject root of its own, both removed at the end.
import { Authorizer, bundleBucketName } from '@elcorp/authz';
import { createDatabase, migrate } from '@elcorp/db';
import { unitOfWork } from '@elcorp/messaging';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createPolicy, deletePolicy } from '../dist/application/policies.js';
import type { GovernanceDeps } from '../dist/application/ports.js';
import { prepareGovernance } from '../dist/application/startup.js';
import { authzAdapters } from '../dist/infrastructure/authz.js';
import type { GovernanceDB } from '../dist/infrastructure/db/schema.js';
import { roleTableCheck } from '../dist/infrastructure/role-table-check.js';
import { governanceMigrations } from '../dist/migrations.js';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/elcorp';
const natsUrl = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const saves = 50;
const goalP99Ms = 2_000;
const perSaveTimeoutMs = 30_000;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const tag = randomBytes(4).toString('hex');
const schema = `bench_gov_${tag}`;
const root = `BENCHGOV${tag.toUpperCase()}`;
const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
await admin.query(`CREATE SCHEMA ${schema}`);
const database = createDatabase<GovernanceDB>({ url: databaseUrl, schema });
const nc = await connect({ servers: natsUrl, name: 'governance-bench' });
try {
  for (const set of governanceMigrations) await migrate({ pool: database.pool, schema, migrationsDir: set.dir, ...('historyTable' in set ? { historyTable: set.historyTable } : {}) });
  const names = { root };
  const adapters = authzAdapters(new Authorizer(), nc, names);
  const deps: GovernanceDeps = { db: database.db, uow: unitOfWork(database.db, names), ...adapters, can: roleTableCheck(database.db), now: () => new Date() };
  await prepareGovernance(deps);

  const probeUser = randomUUID();
  const child = spawn(process.execPath, ['--enable-source-maps', fileURLToPath(new URL('./propagation-child.js', import.meta.url)), natsUrl, root, probeUser], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiting = new Map<string, () => void>();
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  lines.on('line', (line) => {
    if (line.startsWith('ready')) return ready();
    waiting.get(line)?.();
  });
  await started;

  const operator = { userId: randomUUID(), roles: ['admin'] };
  const source = `forbid (principal == Elcorp::User::"${probeUser}", action == Elcorp::Action::"payment:create", resource);`;
  const samplesMs: number[] = [];
  for (let i = 0; i < saves; i += 1) {
    const version = i + 2; // version 1 is the start-up bundle
    const expected = i % 2 === 0 ? 'deny' : 'allow';
    const seen = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`version ${version} did not reach the other process within ${perSaveTimeoutMs} ms`)), perSaveTimeoutMs);
      waiting.set(`${version} ${expected}`, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const t0 = performance.now();
    if (expected === 'deny') await createPolicy(deps, operator, { id: 'bench-freeze', description: '', source });
    else await deletePolicy(deps, operator, 'bench-freeze');
    await seen;
    samplesMs.push(performance.now() - t0);
  }
  child.stdin!.end();
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const p99 = percentile(sorted, 99);
  console.log(`governance policy propagation, save → decision changed in another process (${saves} saves)`);
  console.log(`  p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms; goal p99 ≤ ${goalP99Ms} ms: ${p99 <= goalP99Ms ? 'met' : 'MISSED'}`);
} finally {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(`KV_${bundleBucketName({ root })}`).catch(() => false);
  await nc.close();
  await database.close();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
