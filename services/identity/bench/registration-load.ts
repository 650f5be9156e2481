// pnpm --filter @elcorp/identity bench (after the login bench)
// Issue 10: registrations with long varied passwords used to block the event loop (zxcvbn on
// the main thread) and slowed every other request. This measures honest logins' latency
// quiet, then while 16 clients keep registering long varied passwords; goal: p99 within 2x.
// Runs the real identity service in this process on a schema, subject root and Redis prefix
// of its own, all removed at the end.
import { generateDeviceKey, signDpopProof } from '@elcorp/auth';
import { openService } from '@elcorp/kit';
import { randomBytes, randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { identityService } from '../dist/service.js';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/elcorp';
const registeringClients = 16;
const phaseMs = 8_000;
const users = 16;
const publicBaseUrl = 'http://localhost:8080';
const password = 'correct horse battery staple 42';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** 128 characters of words, digits and symbols that read as l33t letters: the estimator's worst case. */
function longVariedPassword(): string {
  const words = ['correct', 'horse', 'battery', 'staple', 'dragon', 'monkey', 'sunshine', 'shadow', 'master', 'welcome'];
  let value = '';
  while (value.length < 128) value += `${words[randomInt(words.length)]}${randomInt(1000)}${'!@#$%^&*'[randomInt(8)]}`;
  return value.slice(0, 128);
}

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
    const register = (email: string, secret: string) =>
      fetch(`${base}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: secret, fullName: 'Bench Mark', phone: '+264811234567', agreedTerms: true }),
      });
    const emails = Array.from({ length: users }, (_, i) => `bench-${tag}-${i}@example.na`);
    for (const email of emails) {
      const res = await register(email, password);
      if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
    }
    const device = await generateDeviceKey();
    let next = 0;
    const login = async () => {
      const path = '/api/v1/auth/login';
      const proof = await signDpopProof(device, { method: 'POST', url: `${publicBaseUrl}${path}` });
      const started = performance.now();
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', dpop: proof }, body: JSON.stringify({ email: emails[next++ % users], password }) });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`login: ${res.status}`);
      return performance.now() - started;
    };
    /** One honest client logging in back to back for `phaseMs`: its latencies, sorted. */
    const honestLogins = async () => {
      const latencies: number[] = [];
      const end = performance.now() + phaseMs;
      while (performance.now() < end) latencies.push(await login());
      return latencies.sort((a, b) => a - b);
    };

    for (let i = 0; i < 20; i++) await login(); // warm-up
    const quiet = await honestLogins();

    let stop = false;
    const outcomes = { registered: 0, weak: 0, unavailable: 0, other: 0 };
    let registrationIndex = 0;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const registering = Array.from({ length: registeringClients }, async () => {
      while (!stop) {
        const res = await register(`load-${tag}-${registrationIndex++}@example.na`, longVariedPassword());
        await res.arrayBuffer();
        if (res.status === 201) outcomes.registered += 1;
        else if (res.status === 422) outcomes.weak += 1;
        else if (res.status === 503) outcomes.unavailable += 1;
        else outcomes.other += 1;
      }
    });
    const loaded = await honestLogins();
    stop = true;
    await Promise.all(registering);
    delay.disable();

    const figures = (sorted: number[]) => ({ p50: Number(percentile(sorted, 50).toFixed(1)), p99: Number(percentile(sorted, 99).toFixed(1)), samples: sorted.length });
    const ratio = percentile(loaded, 99) / percentile(quiet, 99);
    const result = {
      bench: 'identity-login-under-registration-load',
      registeringClients,
      quietLoginMs: figures(quiet),
      loadedLoginMs: figures(loaded),
      p99Ratio: Number(ratio.toFixed(2)),
      registrations: outcomes,
      eventLoopDelayMaxMs: Number((delay.max / 1e6).toFixed(1)),
      goal: 'loaded p99 <= 2x quiet p99',
      goalMet: ratio <= 2,
    };
    console.log(`honest login, quiet                 p50 ${result.quietLoginMs.p50} ms, p99 ${result.quietLoginMs.p99} ms (${quiet.length} logins)`);
    console.log(`honest login, ${registeringClients} clients registering p50 ${result.loadedLoginMs.p50} ms, p99 ${result.loadedLoginMs.p99} ms (${loaded.length} logins)`);
    console.log(`p99 ratio ${result.p99Ratio} (goal <= 2); registrations ${JSON.stringify(outcomes)}; event loop delay max ${result.eventLoopDelayMaxMs} ms`);
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
