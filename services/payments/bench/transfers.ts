// pnpm --filter @elcorp/payments bench
// Transfers per second and p99 straight to the payments service (HTTP, token verified,
// idempotency key, ledger, outbox, relay to NATS), beside `pgbench -b tpcb-like` on the same
// Postgres with the same client count, for two workloads:
//   many accounts: random payer → random payee among many users;
//   hot merchant:  many payers → one merchant account (credits must not serialise).
// pgbench's tpcb-like at scale = clients is the spread-out baseline; at scale 1 every
// transaction updates the single branch row, its own hot-row case.
// Runs the real service in this process on its own schema and subject root, removed at the end.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createDatabase, sql } from '@elcorp/db';
import { openService } from '@elcorp/kit';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createEvent } from '@elcorp/contracts';
import { unitOfWork } from '@elcorp/messaging';
import { onUserRegistered } from '../dist/application/accounts.js';
import type { PaymentsDB } from '../dist/infrastructure/db/schema.js';
import { compactDeltas } from '../dist/infrastructure/db/ledger.js';
import { definePaymentsService } from '../dist/service.js';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/elcorp';
const clients = Number(process.env.BENCH_CLIENTS ?? 8);
const runMs = Number(process.env.BENCH_RUN_MS ?? 8_000);
const users = 200;
const run = promisify(execFile);

interface Result {
  tps: number;
  p50Ms: number;
  p99Ms: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function forDuration(task: (client: number) => Promise<void>): Promise<Result> {
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + runMs;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await task(client);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsedS = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  console.log(`  service process CPU ${((cpu.user + cpu.system) / 1e6 / elapsedS * 100).toFixed(0)}% of one core, ${((cpu.user + cpu.system) / 1e3 / Math.max(latencies.length, 1)).toFixed(2)} ms CPU per transfer; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
  latencies.sort((a, b) => a - b);
  return { tps: latencies.length / elapsedS, p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

// tpcb-like plus a NOTIFY, as every outbox commit sent to wake the relay until the relay was
// woken in-process instead: NOTIFY takes one database-wide lock from pre-commit until the
// commit is flushed, so notifying transactions commit one at a time. Kept to show that cost.
const tpcbWithNotify = `\\set aid random(1, 100000 * :scale)
\\set bid random(1, 1 * :scale)
\\set tid random(1, 10 * :scale)
\\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
SELECT pg_notify('elcorp_bench', 'tx');
END;
`;

async function pgbench(schema: string, scale: number, withNotify = false): Promise<Result> {
  const env = { ...process.env, PGOPTIONS: `-c search_path=${schema}` };
  const url = new URL(adminUrl);
  const conn = ['-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username || 'postgres'), url.pathname.slice(1)];
  await run('pgbench', ['-i', '-q', '-I', 'dtgvp', '-s', String(scale), ...conn], { env });
  const logs = await mkdtemp(join(tmpdir(), 'elcorp-pgbench-'));
  const script = join(logs, 'tpcb-notify.sql');
  await writeFile(script, tpcbWithNotify);
  const workload = withNotify ? ['-f', script, '-s', String(scale)] : ['-b', 'tpcb-like'];
  try {
    const { stdout } = await run('pgbench', [...workload, '-n', '-c', String(clients), '-j', '2', '-T', String(Math.round(runMs / 1000)), '-l', `--log-prefix=${join(logs, 'tx')}`, ...conn], { env, maxBuffer: 1 << 24 });
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1] ?? NaN);
    const latencies: number[] = [];
    for (const file of await readdir(logs)) {
      if (!file.startsWith('tx')) continue;
      for (const line of (await readFile(join(logs, file), 'utf8')).split('\n')) {
        const fields = line.split(' ');
        if (fields.length >= 3) latencies.push(Number(fields[2]) / 1000);
      }
    }
    latencies.sort((a, b) => a - b);
    return { tps, p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) };
  } finally {
    await rm(logs, { recursive: true, force: true });
    await run('pgbench', ['-i', '-I', 'd', ...conn], { env });
  }
}

async function main() {
  const tag = randomBytes(5).toString('hex');
  const schema = `bench_${tag}`;
  const admin = createDatabase({ url: adminUrl, schema: 'public', poolMax: 1 });
  await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
  // A stand-in for identity's JWKS, served locally: the service verifies every token as in production.
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' }] });
  const jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
  jwksServer.listen(0, '127.0.0.1');
  await once(jwksServer, 'listening');
  const { app } = await openService(definePaymentsService(), {
    JWKS_URL: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`,
    REDIS_KEY_PREFIX: `bench:${tag}:`,
    DATABASE_URL: adminUrl,
    DATABASE_SCHEMA: schema,
    EVENT_SUBJECT_ROOT: `bench${tag}`,
    EVENT_STREAM_MAX_BYTES: String(64 * 1024 * 1024),
    LOG_LEVEL: 'error',
  });
  const token = (userId: string, roles: string[]) =>
    new SignJWT({ sid: randomUUID(), roles, cnf: { jkt: 'bench' } })
      .setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'at+jwt' })
      .setIssuer('elcorp-identity')
      .setAudience('elcorp')
      .setSubject(userId)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/payments`;
    const post = async (auth: string, path: string, body: object, expect: number[]) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `DPoP ${auth}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body: JSON.stringify(body) });
      if (!expect.includes(res.status)) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res;
    };
    // Users arrive as identity.user.registered would bring them: through the same use case.
    const db = createDatabase<PaymentsDB>({ url: adminUrl, schema, poolMax: 2 });
    const uow = unitOfWork(db.db, { root: `bench${tag}` });
    const people: Array<{ token: string; accountId: string }> = [];
    for (let i = 0; i < users + 1; i++) {
      const userId = randomUUID();
      const event = createEvent('identity.user.registered', { subject: { type: 'user', id: userId }, actor: null, data: { userId, email: `b${i}@example.na`, fullName: `Bench User${i}`, phone: '+264811234567' } });
      await uow((work) => onUserRegistered(event, work));
      const account = await db.db.selectFrom('accounts').select('id').where('owner_id', '=', userId).executeTakeFirstOrThrow();
      people.push({ token: await token(userId, ['user']), accountId: account.id });
    }
    const merchant = people.pop()!;
    const staff = await token(randomUUID(), ['admin']);
    for (const p of people) await post(staff, '/deposits', { accountId: p.accountId, amount: '100000.00', currency: 'NAD', reference: 'bench' }, [201]);
    // Fold the deposits into the account rows, as the compaction schedule would have, so the
    // runs measure the steady state rather than each account's first debit.
    await compactDeltas(db.db, { minDeltas: 1, accountsMax: users + 10 });
    await db.close();
    const pick = () => people[Math.floor(Math.random() * people.length)]!;
    const transfer = (from: { token: string; accountId: string }, to: string) =>
      post(from.token, '/transfers', { fromAccountId: from.accountId, to: { accountId: to }, amount: '1.00', currency: 'NAD' }, [201]).then(() => undefined);

    const manyAccounts = await forDuration(async () => {
      const from = pick();
      let to = pick();
      while (to === from) to = pick();
      await transfer(from, to.accountId);
    });
    const hotMerchant = await forDuration(async () => transfer(pick(), merchant.accountId));
    const pgSpread = await pgbench(schema, clients);
    const pgHot = await pgbench(schema, 1);
    const pgNotify = await pgbench(schema, clients, true);

    const line = (name: string, r: Result, baseline?: Result) =>
      console.log(`${name.padEnd(44)} ${r.tps.toFixed(0).padStart(6)} /s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms${baseline ? `  (${((r.tps / baseline.tps) * 100).toFixed(0)}% of pgbench, goal >= 50%)` : ''}`);
    console.log(`payments transfers, ${clients} clients, ${runMs / 1000} s each`);
    line('service: many accounts', manyAccounts, pgSpread);
    line('service: hot merchant (one credited account)', hotMerchant, pgSpread);
    line(`pgbench tpcb-like, scale ${clients}`, pgSpread);
    line('pgbench tpcb-like, scale 1 (one hot branch row)', pgHot);
    line(`pgbench tpcb-like + NOTIFY, scale ${clients}`, pgNotify);
    console.log(JSON.stringify({ clients, runMs, manyAccounts, hotMerchant, pgbenchSpread: pgSpread, pgbenchHotRow: pgHot, pgbenchWithNotify: pgNotify }));
  } finally {
    await app.close();
    jwksServer.close();
    await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(admin.db);
    await admin.close();
    await deleteStreams(`BENCH${tag.toUpperCase()}_`);
  }
}

/** The service created streams under the bench's subject root; they reserve disk until deleted. */
async function deleteStreams(prefix: string): Promise<void> {
  const nc = await connect({ servers: process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222' });
  try {
    const jsm = await jetstreamManager(nc);
    const doomed: string[] = [];
    for await (const name of jsm.streams.names()) if (name.startsWith(prefix)) doomed.push(name);
    for (const name of doomed) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
