// A/B of two gateway builds under the same machine load: BENCH_AB_DIR names a folder whose
// dist/main.js is the other gateway (a copy of services/gateway built from another commit).
// Both run in front of one identity; the 8-client GET /api/v1/users/me load alternates
// between them (A B B A, `rounds` times) and each process's CPU time is read from /proc
// around its own windows, so drift of the shared machine weighs on both alike.
//   BENCH_AB_DIR=/path/to/other/gateway node --enable-source-maps dist-bench/ab.js
// BENCH_AB_DIR=bare: B is bench/bare-proxy.ts, a pass-through on the same stack that checks
// nothing, so A − B is the gateway's own work and B the floor of any gateway on this machine.
// BENCH_AB_REQUEST=transfer: the load is POST /api/v1/payments/transfers instead (a JSON body,
// an Idempotency-Key), answered 201 by a stub payments in this process, so the figure is the
// gateway's own cost of a request with a body, without Postgres's noise in it.
import { createLogger, openInfrastructure } from '@elcorp/kit';
import { cpuUsOf, freePort, startServiceProcess, stopServiceProcess, testConfig, waitReady, type ServiceProcess } from '@elcorp/testing';
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { removeLeftovers, type BenchNames } from './leftovers.js';
import type { LoadCommand, LoadReply, Target, ThroughputResult } from './protocol.js';

const otherDir = process.env.BENCH_AB_DIR;
if (!otherDir) throw new Error('BENCH_AB_DIR: the folder of the other gateway build, or `bare`');
const bare = otherDir === 'bare';
const rounds = Number(process.env.BENCH_AB_ROUNDS ?? 3);
/** BENCH_AB_TELEMETRY=1: both gateways preload the kit's telemetry (spans made, none exported: the bench's `start` mode). */
const gatewayNodeArgs = process.env.BENCH_AB_TELEMETRY === '1' ? ['--import', '@elcorp/kit/telemetry'] : [];
/** BENCH_AB_B_NODE_ARGS: extra node flags for B only (e.g. a V8 GC flag, with BENCH_AB_DIR=. for the same build). */
const otherNodeArgs = (process.env.BENCH_AB_B_NODE_ARGS ?? '').split(' ').filter(Boolean);
const windowMs = 2_500;
const databaseUrl = process.env.BENCH_DATABASE_URL ?? testConfig.databaseUrl;
const rateLimit = '1000000';
const request = process.env.BENCH_AB_REQUEST === 'transfer' ? 'transfer' : 'me';
/**
 * BENCH_AB_STUB_DELAY_MS: the stub payments answers this long after the body (payments takes
 * ~5 ms a transfer in its bench): with few requests in flight per event-loop turn, the
 * gateway's per-request cost is paid without the batching a fast upstream allows.
 */
const stubDelayMs = Number(process.env.BENCH_AB_STUB_DELAY_MS ?? 0);

/** Payments for the transfer load: reads the body, answers 201 with a transfer's JSON. */
async function stubPayments(): Promise<Server> {
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      if (stubDelayMs > 0) setTimeout(answer, stubDelayMs);
      else answer();
    });
    const answer = () => {
      const body = JSON.stringify({ transferId: randomUUID(), status: 'completed', amount: '1.25', currency: 'NAD', bodyBytes: bytes, createdAt: new Date().toISOString() });
      res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main() {
  const admin = await openInfrastructure<unknown>({
    service: 'gateway-ab',
    logger: createLogger({ service: 'gateway-ab', level: 'error' }),
    postgres: { url: databaseUrl, schema: 'public', migrations: [] },
    natsUrl: testConfig.natsUrl,
    redisUrl: testConfig.redisUrl,
  });
  const tag = randomBytes(5).toString('hex');
  const names: BenchNames = { schema: `bench_${tag}`, subjectRoot: `bench${tag}`, redisPrefix: `bench:${tag}:`, mailbox: `/tmp/elcorp-bench-${tag}` };
  const services: ServiceProcess[] = [];
  const payments = request === 'transfer' ? await stubPayments() : undefined;
  const load = fork(fileURLToPath(new URL('./load.js', import.meta.url)), [], { execArgv: ['--enable-source-maps'] });
  const call = (command: LoadCommand) =>
    new Promise<LoadReply & { ok: true }>((resolve, reject) => {
      load.once('message', (reply: LoadReply) => (reply.ok ? resolve(reply) : reject(new Error(reply.error))));
      load.send(command);
    });
  try {
    await admin.database!.pool.query(`CREATE SCHEMA ${names.schema}`);
    const [identityPort, portA, portB, internalA, internalB] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const identityUrl = `http://127.0.0.1:${identityPort}`;
    const urlA = `http://127.0.0.1:${portA}`;
    const urlB = `http://127.0.0.1:${portB}`;
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_'))) as Record<string, string>;
    // Both gateways claim A's public URL: the proofs name it, and identity checks it too.
    const shared = { ...inherited, HOST: '127.0.0.1', NATS_URL: testConfig.natsUrl, REDIS_URL: testConfig.redisUrl, EVENT_SUBJECT_ROOT: names.subjectRoot, EVENT_STREAM_MAX_BYTES: String(8 * 1024 * 1024), REDIS_KEY_PREFIX: names.redisPrefix, PUBLIC_BASE_URL: urlA, LOG_LEVEL: 'warn' };
    const identity = startServiceProcess('identity', { env: { ...shared, PORT: String(identityPort), DATABASE_URL: databaseUrl, DATABASE_SCHEMA: names.schema, NOTIFICATIONS_DIR: names.mailbox } });
    services.push(identity);
    await waitReady(identity, identityUrl);
    const gatewayEnv = (port: number, internal: number) => ({
      ...shared, PORT: String(port), INTERNAL_PORT: String(internal), IDENTITY_URL: identityUrl, PAYMENTS_URL: payments ? `http://127.0.0.1:${(payments.address() as AddressInfo).port}` : identityUrl, GOVERNANCE_URL: identityUrl, COMPLIANCE_URL: identityUrl,
      RATE_LIMIT_PER_IP_PER_MINUTE: rateLimit, RATE_LIMIT_PER_USER_PER_MINUTE: rateLimit, RATE_LIMIT_LOGIN_PER_HOUR: rateLimit,
    });
    const a = startServiceProcess('gateway', { env: gatewayEnv(portA, internalA), nodeArgs: gatewayNodeArgs });
    const b = bare
      ? startServiceProcess('bare-proxy', { env: gatewayEnv(portB, internalB), nodeArgs: otherNodeArgs, cwd: fileURLToPath(new URL('..', import.meta.url)), entry: 'dist-bench/bare-proxy.js' })
      : startServiceProcess('gateway-b', { env: gatewayEnv(portB, internalB), nodeArgs: [...gatewayNodeArgs, ...otherNodeArgs], cwd: otherDir });
    services.unshift(a, b);
    await Promise.all([waitReady(a, urlA), waitReady(b, urlB)]);
    await call({ cmd: 'setup', setup: { identityUrl, gatewayUrl: urlA, gatewayBUrl: urlB, publicBaseUrl: urlA, tag, users: 2, clients: 8, request } });
    const pid: Record<'gateway' | 'gatewayB', number> = { gateway: a.child.pid!, gatewayB: b.child.pid! };
    const totals = { gateway: { us: 0, requests: 0, seconds: 0 }, gatewayB: { us: 0, requests: 0, seconds: 0 } };
    const estimate: Record<string, number> = {};
    for (const target of ['gateway', 'gatewayB'] as const) estimate[target] = (await call({ cmd: 'warm', target, ms: 2_000 })).throughput!.rate;
    const loadBefore = loadavg()[0]!;
    for (let round = 0; round < rounds; round++) {
      for (const target of ['gateway', 'gatewayB', 'gatewayB', 'gateway'] as const) {
        await call({ cmd: 'prepare-throughput', target: target as Target, ms: windowMs, expectedRate: estimate[target]! });
        const before = cpuUsOf(pid[target]);
        const t = (await call({ cmd: 'run' })).throughput as ThroughputResult;
        totals[target].us += cpuUsOf(pid[target]) - before;
        totals[target].requests += t.requests;
        totals[target].seconds += t.seconds;
      }
    }
    const p50: Record<string, number> = {};
    for (const target of ['gateway', 'gatewayB', 'gatewayB', 'gateway'] as const) {
      await call({ cmd: 'prepare-sequential', target, warmup: 50, samples: 300 });
      const sorted = (await call({ cmd: 'run' })).latenciesMs!;
      p50[target] = (p50[target] ?? 0) + percentile(sorted, 50) / 2;
    }
    await call({ cmd: 'close' });
    const row = (label: string, target: 'gateway' | 'gatewayB') => {
      const t = totals[target];
      console.log(`  ${label.padEnd(28)} ${(t.us / t.requests).toFixed(0).padStart(5)} µs/request  ${(t.requests / t.seconds).toFixed(0).padStart(6)} req/s  seq p50 ${p50[target]!.toFixed(3)} ms`);
    };
    console.log(`A/B of ${request === 'transfer' ? 'POST /api/v1/payments/transfers' : 'GET /api/v1/users/me'}${gatewayNodeArgs.length > 0 ? ' with telemetry preloaded' : ''} (load average ${loadBefore.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}), ${rounds} rounds of A B B A, ${windowMs} ms windows`);
    row('A (this worktree)', 'gateway');
    row(`B (${bare ? 'bare proxy, no checks' : otherDir}${otherNodeArgs.length > 0 ? ` ${otherNodeArgs.join(' ')}` : ''})`, 'gatewayB');
    if (bare) {
      const perRequest = (target: 'gateway' | 'gatewayB') => totals[target].us / totals[target].requests;
      console.log(`  the gateway's own work (A − B) ${(perRequest('gateway') - perRequest('gatewayB')).toFixed(0).padStart(4)} µs/request: proof, token, Redis admission, limits, attestation, hooks`);
    }
  } finally {
    load.kill('SIGTERM');
    if (load.exitCode === null) await once(load, 'exit');
    for (const service of services) await stopServiceProcess(service);
    payments?.closeAllConnections();
    payments?.close();
    await removeLeftovers(admin, names);
    await admin.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
