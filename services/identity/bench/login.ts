// pnpm --filter @elcorp/identity bench
// Login throughput beside the raw argon2id verify rate on this machine, in one run, and the
// latency of a token-protected request. Runs the real identity service in this process on
// a schema, subject root and Redis prefix of its own, all removed at the end.
import { generateDeviceKey, signDpopProof } from '@elcorp/auth';
import { openService } from '@elcorp/kit';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { hash, verify } from '../dist/infrastructure/password-hasher.js';
import { identityService } from '../dist/service.js';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/elcorp';
const concurrency = 4; // libuv's default thread pool: argon2 runs there
// Clients in flight for the login run: more than the hashing threads, so database work of
// some logins overlaps the hashing of others, as on a loaded server.
const loginClients = 16;
const runMs = 5_000;
const latencySamples = 2_000;
const users = 32;
const publicBaseUrl = 'http://localhost:8080';
const password = 'correct horse battery staple 42';

async function forDuration(ms: number, workers: number, task: () => Promise<void>): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        await task();
        done += 1;
      }
    }),
  );
  return done / (ms / 1000);
}

/** Share of the machine's CPU time that was busy while `run` ran (all processes). */
async function busyShare<T>(run: () => Promise<T>): Promise<[T, number]> {
  const total = () => cpus().reduce((acc, c) => ({ idle: acc.idle + c.times.idle, all: acc.all + Object.values(c.times).reduce((a, b) => a + b, 0) }), { idle: 0, all: 0 });
  const before = total();
  const self = process.cpuUsage();
  const result = await run();
  const used = process.cpuUsage(self);
  const after = total();
  console.log(`  this process used ${((used.user + used.system) / 1e6).toFixed(2)} s CPU (user ${(used.user / 1e6).toFixed(2)}, system ${(used.system / 1e6).toFixed(2)}) of ${(((after.all - before.all) / 1000)).toFixed(2)} s machine time`);
  return [result, 1 - (after.idle - before.idle) / (after.all - before.all)];
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main() {
  const tag = randomBytes(5).toString('hex');
  const schema = `bench_${tag}`;
  const admin = new pg.Pool({ connectionString: adminUrl, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const { app } = await openService(identityService, {
    DATABASE_URL: adminUrl,
    DATABASE_SCHEMA: schema,
    EVENT_SUBJECT_ROOT: `bench${tag}`,
    EVENT_STREAM_MAX_BYTES: String(8 * 1024 * 1024),
    REDIS_KEY_PREFIX: `bench:${tag}:`,
    PUBLIC_BASE_URL: publicBaseUrl,
    NOTIFICATIONS_DIR: `/tmp/elcorp-bench-${tag}`,
    LOG_LEVEL: 'error',
    NODE_ENV: 'test',
  });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    // Many people log in at once, not one account: logins of one email serialise on its
    // failure counter, which is the point of the counter.
    const emails = Array.from({ length: users }, (_, i) => `bench-${tag}-${i}@example.na`);
    for (const email of emails) {
      const registered = await fetch(`${base}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password, fullName: 'Bench Mark', phone: '+264811234567', agreedTerms: true }),
      });
      if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
    }
    const email = emails[0]!;
    let next = 0;
    const device = await generateDeviceKey();
    const post = async (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', dpop: await signDpopProof(device, { method: 'POST', url: `${publicBaseUrl}${path}` }), ...headers },
        body: JSON.stringify(body),
      });

    // 1. The ceiling: argon2id verifies alone, same parameters, same concurrency.
    const stored = await hash(password);
    await forDuration(1_000, concurrency, async () => void (await verify(stored, password))); // warm-up
    const [verifyRate, verifyBusy] = await busyShare(() => forDuration(runMs, concurrency, async () => void (await verify(stored, password))));

    // 2. Full logins through HTTP: proof, lockout slot, verify, session, tokens, outbox.
    let failures = 0;
    const login = async () => {
      const res = await post('/api/v1/auth/login', { email: emails[next++ % users], password });
      if (res.status !== 200) failures += 1;
      await res.arrayBuffer();
    };
    await forDuration(1_000, loginClients, login);
    const [loginRate, loginBusy] = await busyShare(() => forDuration(runMs, loginClients, login));

    // 3. One token-protected request at a time: access token + proof verification + session check.
    const session = (await (await post('/api/v1/auth/login', { email, password })).json()) as { accessToken: string };
    const latencies: number[] = [];
    for (let i = 0; i < latencySamples + 200; i++) {
      const path = '/api/v1/auth/sessions';
      const proof = await signDpopProof(device, { method: 'GET', url: `${publicBaseUrl}${path}`, accessToken: session.accessToken });
      const started = performance.now();
      const res = await fetch(`${base}${path}`, { headers: { authorization: `DPoP ${session.accessToken}`, dpop: proof } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`protected request: ${res.status}`);
      if (i >= 200) latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);

    const ratio = loginRate / verifyRate;
    const result = {
      bench: 'identity-login',
      concurrency,
      loginClients,
      argon2idVerifiesPerSecond: Number(verifyRate.toFixed(1)),
      loginsPerSecond: Number(loginRate.toFixed(1)),
      loginToHashRatio: Number(ratio.toFixed(3)),
      loginFailures: failures,
      cpuBusy: { verify: Number(verifyBusy.toFixed(2)), login: Number(loginBusy.toFixed(2)) },
      protectedRequestMs: { p50: Number(percentile(latencies, 50).toFixed(2)), p99: Number(percentile(latencies, 99).toFixed(2)), samples: latencies.length },
      goal: 'logins >= 90% of the raw argon2id rate',
      goalMet: ratio >= 0.9,
    };
    console.log(`argon2id verify (x${concurrency})   ${result.argon2idVerifiesPerSecond.toFixed(1)} /s`);
    console.log(`login through HTTP (${loginClients} clients) ${result.loginsPerSecond.toFixed(1)} /s  (${(ratio * 100).toFixed(1)}% of raw, goal >= 90%)`);
    console.log(`token-protected GET        p50 ${result.protectedRequestMs.p50} ms, p99 ${result.protectedRequestMs.p99} ms`);
    console.log(JSON.stringify(result));
  } finally {
    await app.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
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
