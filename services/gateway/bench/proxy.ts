// pnpm --filter @elcorp/gateway bench
// What the gateway costs in front of a service, in one run so both figures come from the same
// machine state: the token-protected GET /api/v1/users/me straight to identity and through the
// gateway, at the same client concurrency, then one request at a time for latency. Runs the
// real identity and gateway services in this process on a schema, subject root and Redis
// prefix of their own, all removed at the end.
import { generateDeviceKey, signDpopProof, type DeviceKey } from '@elcorp/auth';
import { identityService } from '@elcorp/identity/service';
import { createLogger, openInfrastructure, openService, type App } from '@elcorp/kit';
import { freePort, testConfig } from '@elcorp/testing';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Client, Pool, type Dispatcher } from 'undici';
import { gatewayService } from '../dist/service.js';
import { benchGatewayEnv } from './gateway-env.js';
import { removeLeftovers } from './leftovers.js';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? testConfig.databaseUrl;
/** Kept-alive client connections, each with one request in flight, for the throughput runs. */
const clients = 8;
const warmupMs = 2_000;
const runMs = 5_000;
const latencyWarmup = 100;
const latencySamples = 1_000;
/** Proofs are signed ahead in batches of this size, so signing stays out of the measured loops. */
const signBatch = 64;
/**
 * Headroom over the rate seen in warm-up (JIT still cold, so it reads low) when sizing a
 * run's proofs; a run that runs out anyway stops early and says so.
 */
const proofHeadroom = 2.5;
const maxProofsPerRun = 100_000;
/** A request stuck longer than this fails the run (and the clean-up still runs) rather than hanging it. */
const requestTimeouts = { headersTimeout: 10_000, bodyTimeout: 10_000 };
const path = '/api/v1/users/me';
const password = 'correct horse battery staple 42';

interface Run {
  requests: number;
  seconds: number;
  rate: number;
  /** Share of wall time this process's event loop was busy (the services and the clients share it). */
  loopBusy: number;
  /** CPU time of this process (all threads) per wall second. */
  cores: number;
  /** CPU time of the main thread (services and clients alike) per request, µs: the cost a loop that is always busy pays. */
  mainThreadUs: number;
  ranOut: boolean;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (value: number, digits: number) => Number(value.toFixed(digits));

async function signProofs(device: DeviceKey, publicBaseUrl: string, accessToken: string, count: number): Promise<string[]> {
  const proofs: string[] = [];
  while (proofs.length < count) {
    const batch = Math.min(signBatch, count - proofs.length);
    proofs.push(...(await Promise.all(Array.from({ length: batch }, () => signDpopProof(device, { method: 'GET', url: `${publicBaseUrl}${path}`, accessToken })))));
  }
  return proofs;
}

/** One authenticated GET; anything but 200 means the bench measures the wrong thing. */
async function getMe(dispatcher: Dispatcher, accessToken: string, proof: string): Promise<void> {
  const response = await dispatcher.request({ method: 'GET', path, headers: { authorization: `DPoP ${accessToken}`, dpop: proof } });
  const body = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`GET ${path}: ${response.statusCode} ${body}`);
}

/** `clients` requests in flight for `ms`, each with the next unused proof; stops early when they run out. */
async function saturate(pool: Pool, accessToken: string, proofs: string[], ms: number): Promise<Run> {
  let next = 0;
  let done = 0;
  const cpu = process.cpuUsage();
  const thread = process.threadCpuUsage();
  const loop: EventLoopUtilization = performance.eventLoopUtilization();
  const started = performance.now();
  const end = started + ms;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end && next < proofs.length) {
        await getMe(pool, accessToken, proofs[next++]!);
        done += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const usedHere = process.threadCpuUsage(thread);
  return {
    requests: done,
    seconds,
    rate: done / seconds,
    loopBusy: performance.eventLoopUtilization(loop).utilization,
    cores: (used.user + used.system) / 1e6 / seconds,
    mainThreadUs: (usedHere.user + usedHere.system) / Math.max(1, done),
    ranOut: next >= proofs.length && performance.now() < end,
  };
}

/** Two halves of one path's run as one: rates over the summed time, busy shares weighted by it. */
function combine(parts: Run[]): Run {
  const requests = parts.reduce((sum, part) => sum + part.requests, 0);
  const seconds = parts.reduce((sum, part) => sum + part.seconds, 0);
  const weighted = (pick: (run: Run) => number) => parts.reduce((sum, part) => sum + pick(part) * part.seconds, 0) / seconds;
  const mainThreadUs = parts.reduce((sum, part) => sum + part.mainThreadUs * part.requests, 0) / Math.max(1, requests);
  return { requests, seconds, rate: requests / seconds, loopBusy: weighted((run) => run.loopBusy), cores: weighted((run) => run.cores), mainThreadUs, ranOut: parts.some((part) => part.ranOut) };
}

/** Sequential requests on one kept-alive connection; milliseconds per request, sorted. */
async function sequential(client: Client, accessToken: string, proofs: string[], warmup: number): Promise<number[]> {
  const latencies: number[] = [];
  for (const [i, proof] of proofs.entries()) {
    const started = performance.now();
    await getMe(client, accessToken, proof);
    if (i >= warmup) latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

async function main() {
  const tag = randomBytes(5).toString('hex');
  const names = { schema: `bench_${tag}`, subjectRoot: `bench${tag}`, redisPrefix: `bench:${tag}:`, mailbox: `/tmp/elcorp-bench-${tag}` };
  // Clean-up connections, opened first so that whatever is created after can be removed.
  const admin = await openInfrastructure<unknown>({
    service: 'gateway-bench',
    logger: createLogger({ service: 'gateway-bench', level: 'error' }),
    postgres: { url: databaseUrl, schema: 'public', migrations: [] },
    natsUrl: testConfig.natsUrl,
    redisUrl: testConfig.redisUrl,
  });
  const apps: App[] = [];
  const dispatchers: Dispatcher[] = [];
  try {
    await admin.database!.pool.query(`CREATE SCHEMA ${names.schema}`);
    // PUBLIC_BASE_URL is the gateway's own origin and must be known to both before they open.
    const gatewayPort = await freePort();
    const publicBaseUrl = `http://127.0.0.1:${gatewayPort}`;
    const shared = {
      NATS_URL: testConfig.natsUrl,
      REDIS_URL: testConfig.redisUrl,
      EVENT_SUBJECT_ROOT: names.subjectRoot,
      EVENT_STREAM_MAX_BYTES: String(8 * 1024 * 1024),
      REDIS_KEY_PREFIX: names.redisPrefix,
      PUBLIC_BASE_URL: publicBaseUrl,
      LOG_LEVEL: 'error',
    };

    const identity = await openService(identityService, {
      ...shared,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: names.schema,
      NOTIFICATIONS_DIR: names.mailbox,
      NODE_ENV: 'test',
    });
    apps.push(identity.app);
    await identity.app.listen({ host: '127.0.0.1', port: 0 });
    const identityUrl = `http://127.0.0.1:${(identity.app.server.address() as AddressInfo).port}`;

    const gateway = await openService(gatewayService, {
      ...shared,
      ...benchGatewayEnv(identityUrl),
      INTERNAL_PORT: '0', // the operators' listener on any free port: a fleet may hold 9080
    });
    apps.unshift(gateway.app); // closed first: it calls identity
    await gateway.app.listen({ host: '127.0.0.1', port: gatewayPort });

    // One user, one device, signed in through the gateway.
    const email = `bench-${tag}@example.na`;
    const registered = await fetch(`${publicBaseUrl}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, fullName: 'Bench Mark', phone: '+264811234567', agreedTerms: true }),
    });
    if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
    const device = await generateDeviceKey();
    const loggedIn = await fetch(`${publicBaseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', dpop: await signDpopProof(device, { method: 'POST', url: `${publicBaseUrl}/api/v1/auth/login` }) },
      body: JSON.stringify({ email, password }),
    });
    if (loggedIn.status !== 200) throw new Error(`login: ${loggedIn.status} ${await loggedIn.text()}`);
    const { accessToken } = (await loggedIn.json()) as { accessToken: string };
    const sign = (count: number) => signProofs(device, publicBaseUrl, accessToken, count);

    // Both verifiers check the same htu (PUBLIC_BASE_URL + path), so a proof works on either
    // path, but once per verifier: every run gets proofs of its own.
    const targets = { direct: identityUrl, gateway: publicBaseUrl } as const;
    type Target = keyof typeof targets;
    const order: Target[] = ['direct', 'gateway'];
    const pools = {} as Record<Target, Pool>;
    const estimate = {} as Record<Target, number>;
    for (const target of order) {
      pools[target] = new Pool(targets[target], { connections: clients, ...requestTimeouts });
      dispatchers.push(pools[target]);
      estimate[target] = (await saturate(pools[target], accessToken, await sign(5_000), warmupMs)).rate;
    }
    // Two halves in the order A B B A, so a drift of the machine during the run weighs on both alike.
    const halves: Record<Target, Run[]> = { direct: [], gateway: [] };
    for (const target of [...order, ...[...order].reverse()]) {
      const proofs = await sign(Math.min(maxProofsPerRun, Math.ceil((estimate[target] * (runMs / 2) * proofHeadroom) / 1000) + clients * 16));
      halves[target].push(await saturate(pools[target], accessToken, proofs, runMs / 2));
    }
    const runs = { direct: combine(halves.direct), gateway: combine(halves.gateway) };
    const latencies = {} as Record<Target, number[]>;
    for (const target of order) {
      const client = new Client(targets[target], requestTimeouts);
      dispatchers.push(client);
      latencies[target] = await sequential(client, accessToken, await sign(latencyWarmup + latencySamples), latencyWarmup);
    }

    const ms = (target: Target) => ({ p50: round(percentile(latencies[target], 50), 3), p99: round(percentile(latencies[target], 99), 3) });
    const ratio = runs.gateway.rate / runs.direct.rate;
    const addedP50 = percentile(latencies.gateway, 50) - percentile(latencies.direct, 50);
    const result = {
      bench: 'gateway-proxy',
      clients,
      throughput: { direct: round(runs.direct.rate, 1), gateway: round(runs.gateway.rate, 1), ratio: round(ratio, 3) },
      latencyMs: { direct: ms('direct'), gateway: ms('gateway'), addedP50: round(addedP50, 3), samples: latencySamples },
      goal: 'gateway >= 60% of direct throughput and <= 1 ms added at p50',
      goalMet: ratio >= 0.6 && addedP50 <= 1,
    };
    console.log(`GET ${path}, token + fresh DPoP proof per request; ${clients} clients for ${runMs / 1000} s per path (two halves, A B B A), then ${latencySamples} sequential`);
    console.log('path       req/s    (halves)         p50 ms   p99 ms   loop busy  process CPU (cores)  main thread µs/request');
    for (const target of order) {
      const run = runs[target];
      const { p50, p99 } = ms(target);
      const halvesText = halves[target].map((half) => half.rate.toFixed(0)).join(' / ');
      console.log(
        `${target.padEnd(9)}  ${run.rate.toFixed(1).padStart(7)}  (${halvesText})`.padEnd(35) +
          `${p50.toFixed(3).padStart(7)}  ${p99.toFixed(3).padStart(7)}   ${run.loopBusy.toFixed(2).padStart(8)}  ${run.cores.toFixed(2).padStart(6)}  ${run.mainThreadUs.toFixed(0).padStart(20)}` +
          (run.ranOut ? `  (proofs ran out: ${run.seconds.toFixed(1)} s measured)` : ''),
      );
    }
    console.log(`gateway/direct throughput ${(ratio * 100).toFixed(1)}% (goal >= 60%), added p50 ${addedP50.toFixed(3)} ms (goal <= 1 ms): ${result.goalMet ? 'met' : 'MISSED'}`);
    console.log(JSON.stringify(result));
  } finally {
    await Promise.all(dispatchers.map((dispatcher) => dispatcher.close()));
    for (const app of apps) await app.close();
    try {
      await removeLeftovers(admin, names);
    } finally {
      await admin.close();
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
