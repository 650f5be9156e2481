// pnpm --filter @elcorp/payments bench
// One run, for two workloads with the same client count:
//   many accounts: random payer → random payee among many users;
//   hot merchant:  many payers → one merchant account (credits must not serialise);
// transfers per second and p50/p99 straight to the payments service and through the gateway
// (a real access token from identity, bound to a DPoP key, and a fresh signed proof per
// request), beside `pgbench -b tpcb-like` on the same Postgres with the same client count.
// Goals: service >= 50% of pgbench's TPS, gateway >= 60% of the service.
// pgbench at scale = clients is the spread-out baseline; at scale 1 every transaction updates
// the single branch row, its own hot-row case.
// Identity, payments and the gateway each run as `pnpm start` runs them (a process each,
// LOG_LEVEL=warn, no telemetry preload), on their own schemas and subject root, removed at the
// end; this process generates the load and reads each service's CPU time from /proc around
// every window. Each window's requests (payer, payee, body, Idempotency-Key and a fresh DPoP
// proof for the payer's token, the same for both paths) are prepared before the window's CPU
// counters are read, and sent over keep-alive undici pools, so that on a small machine the
// generator's own CPU in the window, which it takes from the services under test, is little
// more than an HTTP client's, as pgbench's is libpq's. The signing is reported apart.
// BENCH_CLIENTS (8), BENCH_RUN_MS (8000), BENCH_USERS (64); BENCH_CPU_PROF_DIR: write a
// --cpu-prof profile of the payments process there.
import { generateDeviceKey, signDpopProof, type DeviceKey } from '@elcorp/auth';
import { createDatabase, sql } from '@elcorp/db';
import { cpuTimesUsOf, cpuUsOf, freePort, prepareAhead, saturate, startServiceProcess, stopServiceProcess, testConfig, waitReady, type ServiceProcess } from '@elcorp/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import { clientPortsOf } from './backends.js';
import { createDeposit } from '../dist/application/transfers.js';
import { paymentsDeps } from '../dist/deps.js';
import { compactDeltas } from '../dist/infrastructure/db/ledger.js';
import type { PaymentsDB } from '../dist/infrastructure/db/schema.js';

const adminUrl = process.env.BENCH_DATABASE_URL ?? testConfig.databaseUrl;
const clients = Number(process.env.BENCH_CLIENTS ?? 8);
const runMs = Number(process.env.BENCH_RUN_MS ?? 8_000);
const users = Number(process.env.BENCH_USERS ?? 64);
const cpuProfileDir = process.env.BENCH_CPU_PROF_DIR;
const password = 'correct horse battery staple 42';
const transfersPath = '/api/v1/payments/transfers';
const accountsTimeoutMs = 120_000;
const goals = { serviceToPgbench: 0.5, gatewayToService: 0.6 };
/** Requests prepared for a window over the rate seen so far; a window that runs out says so. */
const requestHeadroom = 2.5;
const requestsPerWindowMax = 200_000;
/** Both services accept a proof's iat up to 60 s either side of now: the oldest proof of a window must still pass at its end. */
const proofAgeMsMax = 50_000;
const requestTimeouts = { headersTimeout: 10_000, bodyTimeout: 10_000 };
const run = promisify(execFile);

interface Result {
  tps: number;
  p50Ms: number;
  p99Ms: number;
  /** pgbench only: its backends' CPU per transaction (sampled every 100 ms, so up to ~1% low). */
  postgresUsPerTransaction?: number;
}

/** A window's rate and latencies, and the CPU each process spent per transfer in it. */
interface Measured extends Result {
  transfers: number;
  /** Net of each process's idle CPU; `load` is this process in the window (the HTTP client). */
  cpuUsPerTransfer: Record<string, number>;
  grossCpuUsPerTransfer: Record<string, number>;
  /** The payments process's CPU split: user (JavaScript, V8) and system (sockets, scheduling). */
  paymentsUserSystemUsPerTransfer: [number, number];
  /** CPU of the Postgres backends connected from the payments process (its pool and relay). */
  postgresUsPerTransfer: number;
  /** This process's CPU per request prepared before the window (mostly signing its proof). */
  preparedCpuUsPerRequest: number;
  /** The prepared requests ran out before the window's time did: the rate holds, over a shorter window. */
  ranOut: boolean;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
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
  // Its own application_name, so its backends are told from other pgbench runs on the server.
  const applicationName = `elcorp-${schema}`;
  const env = { ...process.env, PGOPTIONS: `-c search_path=${schema}`, PGAPPNAME: applicationName };
  const url = new URL(adminUrl);
  const conn = ['-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username || 'postgres'), url.pathname.slice(1)];
  await run('pgbench', ['-i', '-q', '-I', 'dtgvp', '-s', String(scale), ...conn], { env });
  const logs = await mkdtemp(join(tmpdir(), 'elcorp-pgbench-'));
  const script = join(logs, 'tpcb-notify.sql');
  await writeFile(script, tpcbWithNotify);
  const workload = withNotify ? ['-f', script, '-s', String(scale)] : ['-b', 'tpcb-like'];
  const sampler = sampleBackendsCpu(applicationName);
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
    const postgresUs = await sampler.stop();
    const transactions = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1] ?? NaN);
    return { tps, p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), postgresUsPerTransaction: Math.round(postgresUs / transactions) };
  } finally {
    await sampler.stop();
    await rm(logs, { recursive: true, force: true });
    await run('pgbench', ['-i', '-I', 'd', ...conn], { env });
  }
}

interface Payer {
  token: string;
  accountId: string;
}

async function main() {
  const tag = randomBytes(5).toString('hex');
  const schemas = { identity: `bench_${tag}_identity`, payments: `bench_${tag}_payments`, pgbench: `bench_${tag}_pgbench` };
  const subjectRoot = `bench${tag}`;
  const redisPrefix = `bench:${tag}:`;
  const mailbox = join(tmpdir(), `elcorp-bench-${tag}`);
  admin = createDatabase({ url: adminUrl, schema: 'public', poolMax: 1 });
  const services: ServiceProcess[] = [];
  try {
    for (const schema of Object.values(schemas)) await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
    const [identityPort, paymentsPort, gatewayPort, internalPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const identityUrl = `http://127.0.0.1:${identityPort}`;
    const paymentsUrl = `http://127.0.0.1:${paymentsPort}`;
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_'))) as Record<string, string>;
    const shared = {
      ...inherited,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NATS_URL: testConfig.natsUrl,
      REDIS_URL: testConfig.redisUrl,
      EVENT_SUBJECT_ROOT: subjectRoot,
      EVENT_STREAM_MAX_BYTES: String(64 * 1024 * 1024),
      REDIS_KEY_PREFIX: redisPrefix,
      PUBLIC_BASE_URL: gatewayUrl,
      // A secret of this fleet's own, as in production: attestations are believed only under one.
      CLIENT_ADDRESS_SECRET: randomBytes(32).toString('base64url'),
    };
    const identity = startServiceProcess('identity', { env: { ...shared, PORT: String(identityPort), DATABASE_URL: adminUrl, DATABASE_SCHEMA: schemas.identity, NOTIFICATIONS_DIR: mailbox } });
    services.push(identity);
    await waitReady(identity, identityUrl);
    const payments = startServiceProcess('payments', {
      nodeArgs: cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [],
      env: { ...shared, PORT: String(paymentsPort), DATABASE_URL: adminUrl, DATABASE_SCHEMA: schemas.payments, JWKS_URL: `${identityUrl}/.well-known/jwks.json` },
    });
    services.unshift(payments);
    await waitReady(payments, paymentsUrl);
    const gateway = startServiceProcess('gateway', {
      env: {
        ...shared,
        PORT: String(gatewayPort),
        INTERNAL_PORT: String(internalPort),
        IDENTITY_URL: identityUrl,
        PAYMENTS_URL: paymentsUrl,
        GOVERNANCE_URL: identityUrl,
        COMPLIANCE_URL: identityUrl,
        // The highest limits the gateway accepts: the limiter is on the path, never refusing.
        RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
        RATE_LIMIT_PER_USER_PER_MINUTE: '1000000',
        RATE_LIMIT_LOGIN_PER_HOUR: '1000000',
      },
    });
    services.unshift(gateway); // stopped first: it calls the others
    await waitReady(gateway, gatewayUrl);

    const device = await generateDeviceKey();
    const people = await signUp(identityUrl, gatewayUrl, device, tag, users + 1);
    const db = createDatabase<PaymentsDB>({ url: adminUrl, schema: schemas.payments, poolMax: 2 });
    let payers: Payer[];
    let merchant: Payer;
    try {
      // Accounts open when payments applies identity.user.registered from the stream.
      const accounts = await accountsOf(db, people.map((p) => p.userId));
      const funded = people.map((p) => ({ token: p.token, accountId: accounts.get(p.userId)! }));
      merchant = funded.pop()!;
      payers = funded;
      // Deposits through the use case, by a stand-in staff member: only the money matters here.
      const deps = paymentsDeps(db.db, { root: subjectRoot }, { approvalThreshold: '50000.00', approvalExpiryMs: 60_000 });
      const staffId = randomUUID();
      for (const p of payers) {
        await deps.uow((uow) => createDeposit(deps, uow, { userId: staffId, actor: { userId: staffId } }, { accountId: p.accountId, amountMinor: 10_000_000n, currency: 'NAD', reference: 'bench' }));
      }
      // Folded into the rows, as the compaction schedule would have: the steady state, not each account's first debit.
      await compactDeltas(db.db, { minDeltas: 1, accountsMax: users + 10 });
    } finally {
      await db.close();
    }

    const pids = { payments: payments.child.pid!, gateway: gateway.child.pid!, identity: identity.child.pid! };
    const pick = () => payers[Math.floor(Math.random() * payers.length)]!;
    const request = async (from: Payer, to: string): Promise<Prepared> => ({
      headers: {
        authorization: `DPoP ${from.token}`,
        dpop: await signDpopProof(device, { method: 'POST', url: `${gatewayUrl}${transfersPath}`, accessToken: from.token }),
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({ fromAccountId: from.accountId, to: { accountId: to }, amount: '1.00', currency: 'NAD' }),
    });
    const spread: Workload = () => {
      const from = pick();
      let to = pick();
      while (to === from) to = pick();
      return request(from, to.accountId);
    };
    const hot: Workload = () => request(pick(), merchant.accountId);
    pools = { service: new Pool(paymentsUrl, { connections: clients, ...requestTimeouts }), gateway: new Pool(gatewayUrl, { connections: clients, ...requestTimeouts }) };

    // A short warm-up of both paths: JIT, pools and the gateway's caches; it sizes the windows.
    expectedRate.gateway = (await forDuration(Math.min(2_000, runMs), 'gateway', spread, pids)).tps;
    expectedRate.service = (await forDuration(Math.min(1_000, runMs), 'service', spread, pids)).tps;
    idleUsPerSecond = await idleCpu(pids);
    const loadBefore = loadavg()[0]!;
    const figures = {
      manyAccounts: { service: await forDuration(runMs, 'service', spread, pids), gateway: await forDuration(runMs, 'gateway', spread, pids), pgbench: await pgbench(schemas.pgbench, clients) },
      hotMerchant: { service: await forDuration(runMs, 'service', hot, pids), gateway: await forDuration(runMs, 'gateway', hot, pids), pgbench: await pgbench(schemas.pgbench, clients) },
      pgbenchHotRow: await pgbench(schemas.pgbench, 1),
      pgbenchWithNotify: await pgbench(schemas.pgbench, clients, true),
    };
    const loadAfter = loadavg()[0]!;
    report(figures, { before: loadBefore, after: loadAfter });
  } finally {
    if (pools) await Promise.all([pools.service.close(), pools.gateway.close()]);
    for (const service of services) await stopServiceProcess(service);
    for (const schema of Object.values(schemas)) await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(admin.db);
    await admin.close();
    await rm(mailbox, { recursive: true, force: true });
    await deleteStreams(`${subjectRoot.toUpperCase()}_`);
    await deleteRedisKeys(redisPrefix);
  }
}

/** Registers `count` people with identity and logs each in through the gateway with the DPoP key. */
async function signUp(identityUrl: string, gatewayUrl: string, device: DeviceKey, tag: string, count: number): Promise<Array<{ userId: string; token: string }>> {
  const people: Array<{ userId: string; token: string }> = [];
  for (let i = 0; i < count; i++) {
    const email = `bench-${tag}-${i}@example.na`;
    const registered = await fetch(`${identityUrl}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, fullName: 'Bench Mark', phone: '+264811234567', agreedTerms: true }),
    });
    if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
    const loginUrl = `${gatewayUrl}/api/v1/auth/login`;
    const login = await fetch(loginUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', dpop: await signDpopProof(device, { method: 'POST', url: loginUrl }) },
      body: JSON.stringify({ email, password }),
    });
    if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
    const { accessToken } = (await login.json()) as { accessToken: string };
    const claims = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as { sub: string };
    people.push({ userId: claims.sub, token: accessToken });
  }
  return people;
}

/** Each user's account, once payments has opened them all from identity's events. */
async function accountsOf(db: ReturnType<typeof createDatabase<PaymentsDB>>, userIds: string[]): Promise<Map<string, string>> {
  const deadline = performance.now() + accountsTimeoutMs;
  for (;;) {
    const rows = await db.db.selectFrom('accounts').select(['id', 'owner_id']).where('owner_id', 'in', userIds).execute();
    if (rows.length >= userIds.length) return new Map(rows.map((r) => [r.owner_id!, r.id]));
    if (performance.now() > deadline) throw new Error(`payments opened ${rows.length} of ${userIds.length} accounts within ${accountsTimeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * What each process burns per second with no request (relay and consumer polls, timers, GC):
 * at the low rates of a loaded shared machine it would swamp the per-transfer figure, so it
 * is subtracted (the gross figure is in the JSON).
 */
let idleUsPerSecond: Record<string, number> = {};
const idleMs = 3_000;

async function idleCpu(pids: Record<string, number>): Promise<Record<string, number>> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuUsOf(pid)]));
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const seconds = (performance.now() - started) / 1000;
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, Math.round((cpuUsOf(pid) - before[name]!) / seconds)]));
}

type Target = 'service' | 'gateway';
/** One transfer's request, everything but the connection made before the window. */
interface Prepared {
  headers: Record<string, string>;
  body: string;
}
type Workload = () => Promise<Prepared>;

let pools: Record<Target, Pool> | undefined;
/** Transfers per second each path has reached so far: sizes the next window's prepared requests. */
const expectedRate: Record<Target, number> = { service: 0, gateway: 0 };

async function post(pool: Pool, prepared: Prepared): Promise<void> {
  const response = await pool.request({ method: 'POST', path: transfersPath, headers: prepared.headers, body: prepared.body });
  if (response.statusCode !== 201) throw new Error(`POST ${transfersPath}: ${response.statusCode} ${await response.body.text()}`);
  await response.body.dump();
}

async function forDuration(ms: number, target: Target, workload: Workload, pids: Record<string, number>): Promise<Measured> {
  const count = Math.min(requestsPerWindowMax, Math.ceil((Math.max(expectedRate[target], 500) * ms * requestHeadroom) / 1000) + clients * 16);
  const preparing = process.cpuUsage();
  const signedFrom = performance.now();
  const requests = await prepareAhead(count, workload);
  const preparedCpu = process.cpuUsage(preparing);
  if (performance.now() - signedFrom + ms > proofAgeMsMax) {
    throw new Error(`${count} proofs took ${Math.round(performance.now() - signedFrom)} ms to sign: the first would be stale before a ${ms} ms window ends; lower BENCH_RUN_MS`);
  }
  const backendsBefore = await paymentsBackends(pids.payments!);
  const postgresBefore = new Map(backendsBefore.map((pid) => [pid, cpuUsOf(pid)]));
  const paymentsTimesBefore = cpuTimesUsOf(pids.payments!);
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuUsOf(pid)]));
  const benchBefore = process.cpuUsage();
  const pool = pools![target];
  const result = await saturate(requests, ms, { clients, timed: true }, (prepared) => post(pool, prepared));
  const bench = process.cpuUsage(benchBefore);
  const paymentsTimes = cpuTimesUsOf(pids.payments!);
  let postgresUs = 0;
  // Backends opened during the window count from zero; any that closed meanwhile are lost (the pool keeps them 30 s).
  for (const pid of new Set([...backendsBefore, ...(await paymentsBackends(pids.payments!))])) {
    try {
      postgresUs += cpuUsOf(pid) - (postgresBefore.get(pid) ?? 0);
    } catch {
      // exited
    }
  }
  expectedRate[target] = Math.max(expectedRate[target], result.rate);
  const latencies = result.latenciesMs!;
  const transfers = Math.max(latencies.length, 1);
  const cpuUsPerTransfer: Record<string, number> = { load: Math.round((bench.user + bench.system) / transfers) };
  const grossCpuUsPerTransfer: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const used = cpuUsOf(pid) - cpuBefore[name]!;
    grossCpuUsPerTransfer[name] = Math.round(used / transfers);
    cpuUsPerTransfer[name] = Math.round((used - (idleUsPerSecond[name] ?? 0) * result.seconds) / transfers);
  }
  latencies.sort((a, b) => a - b);
  return {
    transfers: latencies.length,
    tps: latencies.length / result.seconds,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    cpuUsPerTransfer,
    grossCpuUsPerTransfer,
    paymentsUserSystemUsPerTransfer: [Math.round((paymentsTimes.user - paymentsTimesBefore.user) / transfers), Math.round((paymentsTimes.system - paymentsTimesBefore.system) / transfers)],
    postgresUsPerTransfer: Math.round(postgresUs / transfers),
    preparedCpuUsPerRequest: Math.round((preparedCpu.user + preparedCpu.system) / count),
    ranOut: result.ranOut,
  };
}

interface Paths {
  service: Measured;
  gateway: Measured;
  pgbench: Result;
}

function report(figures: { manyAccounts: Paths; hotMerchant: Paths; pgbenchHotRow: Result; pgbenchWithNotify: Result }, load: { before: number; after: number }) {
  const mark = (ratio: number, goal: number) => `${(ratio * 100).toFixed(0)}% (goal >= ${goal * 100}%: ${ratio >= goal ? 'met' : 'MISSED'})`;
  const line = (name: string, r: Result, note = '') =>
    console.log(
      `  ${name.padEnd(30)} ${r.tps.toFixed(0).padStart(6)} /s  p50 ${String(r.p50Ms).padStart(7)} ms  p99 ${String(r.p99Ms).padStart(7)} ms  ${note}${r.postgresUsPerTransaction === undefined ? '' : `Postgres CPU ${r.postgresUsPerTransaction} µs/transaction`}`,
    );
  const cpu = (m: Measured) =>
    `CPU µs/transfer (net of idle) ${Object.entries(m.cpuUsPerTransfer).map(([k, v]) => `${k} ${v}`).join(', ')} (payments gross user/system ${m.paymentsUserSystemUsPerTransfer.join('/')}), its Postgres backends ${m.postgresUsPerTransfer}; load ahead of the window ${m.preparedCpuUsPerRequest} per request prepared${m.ranOut ? '; RAN OUT of prepared requests before the window ended' : ''}`;
  console.log(`payments transfers, ${clients} clients, ${runMs / 1000} s per window; load average ${load.before.toFixed(1)} → ${load.after.toFixed(1)} on ${cpus().length} cores`);
  for (const [name, w] of [['many accounts', figures.manyAccounts], ['hot merchant (one credited account)', figures.hotMerchant]] as const) {
    console.log(name);
    line(`pgbench tpcb-like, scale ${clients}`, w.pgbench);
    line('service direct', w.service, `${mark(w.service.tps / w.pgbench.tps, goals.serviceToPgbench)} of pgbench`);
    line('through the gateway (DPoP)', w.gateway, `${mark(w.gateway.tps / w.service.tps, goals.gatewayToService)} of the service`);
    console.log(`  direct:  ${cpu(w.service)}`);
    console.log(`  gateway: ${cpu(w.gateway)}`);
  }
  console.log(`hot merchant / many accounts, service direct: ${((figures.hotMerchant.service.tps / figures.manyAccounts.service.tps) * 100).toFixed(0)}%`);
  line('pgbench tpcb-like, scale 1 (one hot branch row)', figures.pgbenchHotRow);
  line(`pgbench tpcb-like + NOTIFY, scale ${clients}`, figures.pgbenchWithNotify);
  console.log(`idle CPU µs per s: ${Object.entries(idleUsPerSecond).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(JSON.stringify({ clients, runMs, users, loadAverage: load, idleUsPerSecond, ...figures }));
}

/**
 * The CPU of the backends with this application_name until stop(): read every 100 ms while
 * they live, since pgbench's connections close when it ends and take their /proc entries along.
 */
function sampleBackendsCpu(applicationName: string): { stop(): Promise<number> } {
  const latest = new Map<number, number>();
  let running = true;
  const sampling = (async () => {
    while (running) {
      if (admin) {
        const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE application_name = ${applicationName}`.execute(admin.db);
        for (const { pid } of rows) {
          try {
            latest.set(pid, cpuUsOf(pid));
          } catch {
            // ended between the query and the read
          }
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await sampling;
      return [...latest.values()].reduce((sum, us) => sum + us, 0);
    },
  };
}

/** The Postgres backends connected from the payments process, by their client ports. */
let admin: ReturnType<typeof createDatabase> | undefined;
async function paymentsBackends(pid: number): Promise<number[]> {
  const ports = clientPortsOf(pid, Number(new URL(adminUrl).port || 5432));
  if (ports.length === 0 || !admin) return [];
  const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE client_port = ANY(${ports}::int[]) AND client_addr IS NOT NULL`.execute(admin.db);
  return rows.map((row) => row.pid);
}

/** The services created streams under the bench's subject root; they reserve disk until deleted. */
async function deleteStreams(prefix: string): Promise<void> {
  const nc = await connect({ servers: testConfig.natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const doomed: string[] = [];
    for await (const name of jsm.streams.names()) if (name.startsWith(prefix)) doomed.push(name);
    for (const name of doomed) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(testConfig.redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
