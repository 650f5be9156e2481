// pnpm --filter @elcorp/gateway bench (after the in-process proxy bench), or alone:
//   node --enable-source-maps dist-bench/out-of-process.js
// The edge as `pnpm start` runs it: identity and the gateway each a process of their own
// (`node --import @elcorp/kit/telemetry dist/main.js`, LOG_LEVEL=warn), the load from a third
// (load.ts, BENCH_CLIENTS clients, 8 by default, a pre-signed DPoP proof per request), this process only orchestrating
// and reading each service's CPU time from /proc/<pid>/stat around every measured window.
// One run reports, per tracing mode: throughput straight to identity and through the gateway,
// sequential p50/p99 of both, CPU µs per request of each process, and the login rate beside
// the raw argon2id rate; then what tracing that exports to a collector costs over tracing off.
// The first mode also measures honest logins' p50/p99 quiet and while 16 clients register
// long varied passwords straight to identity (as identity's registration-load bench does).
//
// The modes are compared under the same conditions, because this shared machine drifts by
// 20–30% over the half minute one mode used to take: every mode's fleet (identity, gateway,
// a load generator, a schema, Redis prefix, subject root and client-address secret of its
// own) is started first, side by side, and all are warmed up; one quiet window measures every
// fleet's idle CPU; then each mode's and path's throughput is measured in short windows, the
// modes and paths one after the other within a round, forward then backward (A B C C B A …),
// so drift weighs on every mode alike. The tracing overhead is given pooled over the rounds
// and per round (min–max), which shows how much of it is noise. Sequential latency, logins
// and the registration load follow, one mode after the other, with every fleet still up
// (the idle ones cost a few ms of CPU per second each).
//
// BENCH_MODES: comma-separated subset of `start` (telemetry preloaded, no collector: what
// `pnpm start` does without OTEL_EXPORTER_OTLP_ENDPOINT), `exporting` (preloaded, exporting
// over OTLP/HTTP to a sink in this process that reads and discards every batch) and `off`
// (no preload). Default: all three. BENCH_CPU_PROF_DIR: write a --cpu-prof profile of each
// service per mode there. OTEL_TRACES_SAMPLER(_ARG) are passed on to the services.
import { createLogger, openInfrastructure } from '@elcorp/kit';
import { cpuTimesUsOf as cpuTimesUs, cpuUsOf as cpuUs, freePort, startServiceProcess as startProcess, stopServiceProcess as stop, testConfig, waitReady, type ServiceProcess as Service } from '@elcorp/testing';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { hash, verify } from '../../identity/dist/infrastructure/password-hasher.js';
import { es256VerifyUs } from './calibration.js';
import { benchGatewayEnv } from './gateway-env.js';
import { removeLeftovers, type BenchNames } from './leftovers.js';
import type { LoadCommand, LoadReply, RegistrationLoadResult, Target, ThroughputResult } from './protocol.js';

type Mode = 'start' | 'exporting' | 'off';
const allModes: Mode[] = ['start', 'exporting', 'off'];

const databaseUrl = process.env.BENCH_DATABASE_URL ?? testConfig.databaseUrl;
const modes = (process.env.BENCH_MODES ?? allModes.join(',')).split(',').map((mode) => mode.trim()) as Mode[];
const cpuProfileDir = process.env.BENCH_CPU_PROF_DIR;
/** BENCH_QUICK=1: only the GET /me throughput and latency, no logins (for quick before/after checks). */
const quick = process.env.BENCH_QUICK === '1';
/**
 * BENCH_CLIENTS: 8 is the figure. At 8 the request through the gateway crosses four
 * processes and a core sits ~25% idle (latency, not CPU, bounds it); 32 measures capacity.
 */
const clients = Number(process.env.BENCH_CLIENTS ?? 8);
/**
 * As many people as login clients: all sign in from the bench's one device, and identity
 * refuses (423) an attempt while 5 others on the same account's count are being checked. With
 * 16 clients over 8 accounts (2 to 3 at once each, measured) a full three-mode run still
 * failed on it once; with one account per client the line is far away.
 */
const users = 16;
/**
 * Per path before anything is measured. A gateway in production runs for hours: V8's compiling
 * is a start-up cost, and at 1.5 s it was still 14–16% of the gateway's CPU in the measured windows.
 */
const warmupMs = 4_000;
/** Per mode and path, in `rounds` windows interleaved with every other mode's and path's. */
const runMs = 6_000;
/** Rounds of the throughput windows, alternately forward and backward over the modes and paths. */
const rounds = 4;
const windowMs = runMs / rounds;
const latencyWarmup = 100;
const latencySamples = 600;
const loginMs = 5_000;
const loginClients = 16;
/** Honest logins quiet, then as long while this many clients register long varied passwords (first mode only). */
const registrationPhaseMs = 6_000;
const registrants = 16;
/** The quiet window that measures each process's background CPU. */
const idleMs = 3_000;
/** libuv's default thread pool, where argon2 runs: the raw rate is measured at this width. */
const argon2Concurrency = 4;
const password = 'correct horse battery staple 42';


const goals = {
  gatewayUsPerRequest: 300,
  identityUsPerRequest: 300,
  throughputRatio: 0.6,
  addedP50Ms: 1,
  loginToArgon2: 0.9,
  registrationP99Ratio: 2,
  tracingCpuOverhead: 0.15,
};

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** An OTLP/HTTP collector that reads every export in full and throws it away. */
async function startSink(): Promise<{ server: Server; url: string; stats: { posts: number; bytes: number } }> {
  const stats = { posts: 0, bytes: 0 };
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (stats.bytes += chunk.length));
    req.on('end', () => {
      stats.posts += 1;
      // An empty ExportTraceServiceResponse: full success.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stats };
}

function startServiceProcess(name: 'identity' | 'gateway', mode: Mode, env: Record<string, string>, sinkUrl: string): Service {
  // BENCH_NODE_ARGS: extra flags for both services (e.g. --perf-basic-prof for `perf record`).
  const nodeArgs: string[] = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  if (mode !== 'off') nodeArgs.push('--import', '@elcorp/kit/telemetry');
  // One directory per service and mode: the loader-hooks thread of --import writes a profile of its own.
  if (cpuProfileDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${join(cpuProfileDir, mode, name)}`);
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_') || key.startsWith('OTEL_TRACES_SAMPLER')),
  ) as Record<string, string>;
  return startProcess(name, {
    // BENCH_GATEWAY_DIR: run another build of the gateway (a copy built from another commit) for a before/after.
    ...(name === 'gateway' && process.env.BENCH_GATEWAY_DIR ? { cwd: process.env.BENCH_GATEWAY_DIR } : {}),
    nodeArgs,
    env: {
      ...inherited,
      ...env,
      LOG_LEVEL: 'warn',
      ...(mode === 'exporting' ? { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' } : {}),
    },
  });
}

/** The load generator: one command at a time, each answered before the next is sent. */
function startLoad(): { call: (command: LoadCommand) => Promise<LoadReply & { ok: true }>; child: ChildProcess } {
  const child = fork(fileURLToPath(new URL('./load.js', import.meta.url)), [], { execArgv: ['--enable-source-maps'] });
  const call = (command: LoadCommand) =>
    new Promise<LoadReply & { ok: true }>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load generator exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (reply: LoadReply) => {
        child.off('exit', onExit);
        if (reply.ok) resolve(reply);
        else reject(new Error(`load generator: ${reply.error}`));
      });
      child.send(command);
    });
  return { call, child };
}

interface Window {
  requests: number;
  seconds: number;
  ranOut: boolean;
  gatewayUs: number;
  /** The kernel's part of gatewayUs. */
  gatewaySystemUs: number;
  identityUs: number;
}

type Path = 'direct' | 'gateway';
const paths: readonly Path[] = ['direct', 'gateway'];

interface ModeResult {
  mode: Mode;
  loadAverage: { before: number; after: number };
  throughput: Record<Path, Window>;
  /** The same windows one by one, a window per round: `throughput` is their sum. */
  rounds: Record<Path, Window[]>;
  latencyMs: Record<Target, { p50: number; p99: number }>;
  login: Window;
  /** CPU each process used per second while no request ran. */
  idleUsPerSecond: { gateway: number; identity: number };
  /** Measured beside each mode's login run: the machine is shared and its load drifts. */
  argon2PerSecond: number;
  sink?: { posts: number; bytes: number };
  registrationLoad?: RegistrationLoadResult;
}

const sum = (windows: Window[]): Window => ({
  requests: windows.reduce((acc, w) => acc + w.requests, 0),
  seconds: windows.reduce((acc, w) => acc + w.seconds, 0),
  ranOut: windows.some((w) => w.ranOut),
  gatewayUs: windows.reduce((acc, w) => acc + w.gatewayUs, 0),
  gatewaySystemUs: windows.reduce((acc, w) => acc + w.gatewaySystemUs, 0),
  identityUs: windows.reduce((acc, w) => acc + w.identityUs, 0),
});
const rate = (w: Window) => w.requests / w.seconds;
const perRequest = (us: number, w: Window) => us / Math.max(1, w.requests);

/**
 * CPU µs per request net of the background each process burns anyway (measured while idle),
 * which on a shared machine that serves few requests would otherwise dominate. Through the
 * gateway, identity does the same work as direct: the gateway's own share is its process.
 */
function netUsPerRequest(throughput: Record<Path, Window>, idle: ModeResult['idleUsPerSecond']) {
  const net = (us: number, seconds: number, idleUsPerSecond: number) => us - idleUsPerSecond * seconds;
  const { direct, gateway } = throughput;
  return {
    gateway: perRequest(net(gateway.gatewayUs, gateway.seconds, idle.gateway), gateway),
    identityDirect: perRequest(net(direct.identityUs, direct.seconds, idle.identity), direct),
    identityBehindGateway: perRequest(net(gateway.identityUs, gateway.seconds, idle.identity), gateway),
  };
}

/** One mode's identity, gateway and load generator, with names of their own. */
interface Fleet {
  mode: Mode;
  names: BenchNames;
  /** The gateway first: it calls identity, so it is stopped first. */
  services: Service[];
  load?: ReturnType<typeof startLoad>;
  pids: { gateway: number; identity: number };
  /** Each path's warm-up rate, which sizes its measured windows' proofs. */
  estimate: Record<Path, number>;
  sinkBefore: { posts: number; bytes: number };
}

type Sink = Awaited<ReturnType<typeof startSink>>;

/** Starts one mode's fleet; it is in `fleets` from the first step on, so a failed start is stopped too. */
async function startFleet(mode: Mode, admin: Admin, sink: Sink, fleets: Fleet[]): Promise<Fleet> {
  const tag = randomBytes(5).toString('hex');
  const fleet: Fleet = {
    mode,
    names: { schema: `bench_${tag}`, subjectRoot: `bench${tag}`, redisPrefix: `bench:${tag}:`, mailbox: `/tmp/elcorp-bench-${tag}` },
    services: [],
    pids: { gateway: 0, identity: 0 },
    estimate: { direct: 0, gateway: 0 },
    sinkBefore: { ...sink.stats },
  };
  fleets.push(fleet);
  const { names } = fleet;
  await admin.database!.pool.query(`CREATE SCHEMA ${names.schema}`);
  const [gatewayPort, identityPort, internalPort] = [await freePort(), await freePort(), await freePort()];
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const identityUrl = `http://127.0.0.1:${identityPort}`;
  const shared = {
    HOST: '127.0.0.1',
    NATS_URL: testConfig.natsUrl,
    REDIS_URL: testConfig.redisUrl,
    EVENT_SUBJECT_ROOT: names.subjectRoot,
    EVENT_STREAM_MAX_BYTES: String(8 * 1024 * 1024),
    REDIS_KEY_PREFIX: names.redisPrefix,
    PUBLIC_BASE_URL: gatewayUrl,
    // A secret of this fleet's own, as in production: attestations are believed only under one.
    CLIENT_ADDRESS_SECRET: randomBytes(32).toString('base64url'),
  };
  const identity = startServiceProcess('identity', mode, {
    ...shared,
    PORT: String(identityPort),
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: names.schema,
    NOTIFICATIONS_DIR: names.mailbox,
  }, sink.url);
  fleet.services.push(identity);
  await waitReady(identity, identityUrl);
  const gateway = startServiceProcess('gateway', mode, {
    ...shared,
    PORT: String(gatewayPort),
    INTERNAL_PORT: String(internalPort),
    ...benchGatewayEnv(identityUrl),
  }, sink.url);
  fleet.services.unshift(gateway);
  await waitReady(gateway, gatewayUrl);
  fleet.pids = { gateway: gateway.child.pid!, identity: identity.child.pid! };
  fleet.load = startLoad();
  await fleet.load.call({ cmd: 'setup', setup: { identityUrl, gatewayUrl, publicBaseUrl: gatewayUrl, tag, users, clients } });
  return fleet;
}

async function stopFleet(fleet: Fleet, admin: Admin): Promise<void> {
  const { load } = fleet;
  if (load) {
    load.child.kill('SIGTERM');
    if (load.child.exitCode === null && load.child.signalCode === null) await once(load.child, 'exit');
  }
  for (const service of fleet.services) await stop(service);
  await removeLeftovers(admin, fleet.names);
}

const callOf = (fleet: Fleet) => fleet.load!.call;

/** A prepared command of the fleet's load generator, run between two readings of both services' CPU time. */
async function measured(fleet: Fleet): Promise<Window> {
  const { pids } = fleet;
  const before = { gateway: cpuTimesUs(pids.gateway), identity: cpuUs(pids.identity) };
  const reply = await callOf(fleet)({ cmd: 'run' });
  const after = { gateway: cpuTimesUs(pids.gateway), identity: cpuUs(pids.identity) };
  const t = reply.throughput as ThroughputResult;
  return {
    requests: t.requests,
    seconds: t.seconds,
    ranOut: t.ranOut,
    gatewayUs: after.gateway.user + after.gateway.system - before.gateway.user - before.gateway.system,
    gatewaySystemUs: after.gateway.system - before.gateway.system,
    identityUs: after.identity - before.identity,
  };
}

async function warmUp(fleet: Fleet): Promise<void> {
  for (const path of paths) fleet.estimate[path] = (await callOf(fleet)({ cmd: 'warm', target: path, ms: warmupMs })).throughput!.rate;
}

/**
 * What each process burns with no request at all (timers, pollers, the relay, GC), per second,
 * every fleet over the same window: on a machine too loaded to serve many requests it would
 * swamp the per-request figure. Taken after the warm-up, not just after start: the tail of
 * start-up (compiling, the first collections) is no steady background and would inflate what is subtracted.
 */
async function idleCpu(fleets: Fleet[]): Promise<Map<Fleet, ModeResult['idleUsPerSecond']>> {
  const before = fleets.map((fleet) => ({ gateway: cpuUs(fleet.pids.gateway), identity: cpuUs(fleet.pids.identity) }));
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const seconds = (performance.now() - started) / 1000;
  return new Map(fleets.map((fleet, i) => [fleet, {
    gateway: (cpuUs(fleet.pids.gateway) - before[i]!.gateway) / seconds,
    identity: (cpuUs(fleet.pids.identity) - before[i]!.identity) / seconds,
  }]));
}

/**
 * Every (mode, path) pair's throughput windows, `rounds` of them, a round visiting every pair:
 * the modes of one path side by side, forward in even rounds and backward in odd ones.
 */
async function interleavedThroughput(fleets: Fleet[]): Promise<Map<Fleet, Record<Path, Window[]>>> {
  const windows = new Map(fleets.map((fleet) => [fleet, { direct: [], gateway: [] } as Record<Path, Window[]>]));
  const forward = paths.flatMap((path) => fleets.map((fleet) => ({ fleet, path })));
  for (let r = 0; r < rounds; r++) {
    for (const { fleet, path } of r % 2 === 0 ? forward : [...forward].reverse()) {
      await callOf(fleet)({ cmd: 'prepare-throughput', target: path, ms: windowMs, expectedRate: fleet.estimate[path] });
      windows.get(fleet)![path].push(await measured(fleet));
    }
  }
  return windows;
}

/** After the interleaved windows, one mode at a time: sequential latency, logins, the registration load. */
async function measureAlone(fleet: Fleet, withRegistrationLoad: boolean): Promise<Pick<ModeResult, 'latencyMs' | 'login' | 'argon2PerSecond' | 'registrationLoad'>> {
  const call = callOf(fleet);
  const latencyMs = {} as ModeResult['latencyMs'];
  for (const path of paths) {
    await call({ cmd: 'prepare-sequential', target: path, warmup: latencyWarmup, samples: latencySamples });
    const sorted = (await call({ cmd: 'run' })).latenciesMs!;
    latencyMs[path] = { p50: round(percentile(sorted, 50), 3), p99: round(percentile(sorted, 99), 3) };
  }
  let login: Window = { requests: 0, seconds: 1, ranOut: false, gatewayUs: 0, gatewaySystemUs: 0, identityUs: 0 };
  let argon2PerSecond = Number.NaN;
  if (!quick) {
    // Logins straight to identity, as the in-process login bench measures them.
    await call({ cmd: 'prepare-login', ms: 1_000, maxLogins: 300, clients: loginClients });
    await call({ cmd: 'run' });
    await call({ cmd: 'prepare-login', ms: loginMs, maxLogins: 1_500, clients: loginClients });
    login = await measured(fleet);
    argon2PerSecond = await argon2Rate(loginMs);
  }
  const registrationLoad = withRegistrationLoad && !quick ? (await call({ cmd: 'registration-load', ms: registrationPhaseMs, registrants })).registrationLoad : undefined;
  await call({ cmd: 'close' });
  return { latencyMs, login, argon2PerSecond, ...(registrationLoad ? { registrationLoad } : {}) };
}

/** Every mode's fleet up at once, compared window by window; then each mode's own phases. */
async function runModes(admin: Admin, sink: Sink, fleets: Fleet[]): Promise<{ results: ModeResult[]; loadAverage: { before: number; after: number } }> {
  for (const mode of modes) await startFleet(mode, admin, sink, fleets);
  for (const fleet of fleets) await warmUp(fleet);
  const loadBefore = round(loadavg()[0]!, 2);
  const idle = await idleCpu(fleets);
  const windows = await interleavedThroughput(fleets);
  const loadAverage = { before: loadBefore, after: round(loadavg()[0]!, 2) };
  const results: ModeResult[] = [];
  for (const [i, fleet] of fleets.entries()) {
    const alone = await measureAlone(fleet, i === 0);
    const { sinkBefore } = fleet;
    const modeWindows = windows.get(fleet)!;
    results.push({
      mode: fleet.mode,
      loadAverage: { before: loadBefore, after: round(loadavg()[0]!, 2) },
      throughput: { direct: sum(modeWindows.direct), gateway: sum(modeWindows.gateway) },
      rounds: modeWindows,
      idleUsPerSecond: idle.get(fleet)!,
      ...alone,
      ...(fleet.mode === 'exporting' ? { sink: { posts: sink.stats.posts - sinkBefore.posts, bytes: sink.stats.bytes - sinkBefore.bytes } } : {}),
    });
  }
  return { results, loadAverage };
}

type Admin = Awaited<ReturnType<typeof openAdmin>>;

function openAdmin() {
  return openInfrastructure<unknown>({
    service: 'gateway-bench',
    logger: createLogger({ service: 'gateway-bench', level: 'error' }),
    postgres: { url: databaseUrl, schema: 'public', migrations: [] },
    natsUrl: testConfig.natsUrl,
    redisUrl: testConfig.redisUrl,
  });
}

/** argon2id verifies alone, same parameters, at the width of the thread pool that runs them. */
async function argon2Rate(ms: number): Promise<number> {
  const stored = await hash(password);
  const forDuration = async (duration: number) => {
    const end = performance.now() + duration;
    let done = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: argon2Concurrency }, async () => {
        while (performance.now() < end) {
          await verify(stored, password);
          done += 1;
        }
      }),
    );
    return done / ((performance.now() - started) / 1000);
  };
  await forDuration(500);
  return forDuration(ms);
}

const mark = (met: boolean) => (met ? 'met' : 'MISSED');

function report(result: ModeResult, verifyUs: number) {
  const { argon2PerSecond } = result;
  const { direct, gateway } = result.throughput;
  const ratio = rate(gateway) / rate(direct);
  const addedP50 = result.latencyMs.gateway.p50 - result.latencyMs.direct.p50;
  // Net of the idle background; gross figures are in the JSON.
  const netUs = netUsPerRequest(result.throughput, result.idleUsPerSecond);
  const gatewayUs = netUs.gateway;
  const identityUs = netUs.identityDirect;
  const loginRate = rate(result.login);
  const load = result.registrationLoad;
  const registration = load && {
    quietLoginMs: { p50: round(percentile(load.quietMs, 50), 1), p99: round(percentile(load.quietMs, 99), 1), samples: load.quietMs.length },
    loadedLoginMs: { p50: round(percentile(load.loadedMs, 50), 1), p99: round(percentile(load.loadedMs, 99), 1), samples: load.loadedMs.length },
    p99Ratio: round(percentile(load.loadedMs, 99) / percentile(load.quietMs, 99), 2),
    registrations: load.registrations,
  };
  const figures = {
    mode: result.mode,
    loadAverage: result.loadAverage,
    throughput: { direct: round(rate(direct), 1), gateway: round(rate(gateway), 1), ratio: round(ratio, 3) },
    latencyMs: { direct: result.latencyMs.direct, gateway: result.latencyMs.gateway, addedP50: round(addedP50, 3) },
    cpuUsPerRequest: {
      identityDirect: round(identityUs, 0),
      gateway: round(gatewayUs, 0),
      identityBehindGateway: round(netUs.identityBehindGateway, 0),
      gross: { identityDirect: round(perRequest(direct.identityUs, direct), 0), gateway: round(perRequest(gateway.gatewayUs, gateway), 0) },
      gatewayKernel: round(perRequest(gateway.gatewaySystemUs, gateway), 0),
    },
    idleCpuUsPerSecond: { gateway: round(result.idleUsPerSecond.gateway, 0), identity: round(result.idleUsPerSecond.identity, 0) },
    login: { perSecond: round(loginRate, 1), argon2idPerSecond: round(argon2PerSecond, 1), ratio: round(loginRate / argon2PerSecond, 3), identityUsPerLogin: round(perRequest(result.login.identityUs, result.login), 0) },
    ...(result.sink ? { collector: result.sink } : {}),
    ...(registration ? { registrationLoad: registration } : {}),
    ranOut: direct.ranOut || gateway.ranOut || result.login.ranOut,
  };
  const line = (label: string, value: string, goal = '') => console.log(`  ${label.padEnd(34)} ${value.padEnd(36)} ${goal}`);
  console.log(`\nmode ${result.mode} (load average ${result.loadAverage.before} → ${result.loadAverage.after})`);
  line('throughput direct / via gateway', `${figures.throughput.direct} / ${figures.throughput.gateway} req/s`, `ratio ${(ratio * 100).toFixed(1)}% (goal >= 60%: ${mark(ratio >= goals.throughputRatio)})`);
  line('sequential p50 direct / gateway', `${result.latencyMs.direct.p50} / ${result.latencyMs.gateway.p50} ms`, `added ${addedP50.toFixed(3)} ms (goal <= 1: ${mark(addedP50 <= goals.addedP50Ms)})`);
  line('sequential p99 direct / gateway', `${result.latencyMs.direct.p99} / ${result.latencyMs.gateway.p99} ms`);
  line('idle CPU gateway / identity', `${figures.idleCpuUsPerSecond.gateway} / ${figures.idleCpuUsPerSecond.identity} µs per s`, '(subtracted below)');
  const inVerifies = (us: number) => `${(us / verifyUs).toFixed(1)} ES256 verifications`;
  line('CPU µs/request gateway', `${figures.cpuUsPerRequest.gateway} (gross ${figures.cpuUsPerRequest.gross.gateway}, kernel ${figures.cpuUsPerRequest.gatewayKernel})`, `goal <= 300: ${mark(gatewayUs <= goals.gatewayUsPerRequest)}; ${inVerifies(gatewayUs)}`);
  line('CPU µs/request identity GET /me', `${figures.cpuUsPerRequest.identityDirect} (gross ${figures.cpuUsPerRequest.gross.identityDirect}; behind gateway ${figures.cpuUsPerRequest.identityBehindGateway})`, `goal <= 300: ${mark(identityUs <= goals.identityUsPerRequest)}; ${inVerifies(identityUs)}`);
  if (quick) line('login / raw argon2id', 'not measured (BENCH_QUICK=1)');
  else line('login / raw argon2id', `${figures.login.perSecond} / ${figures.login.argon2idPerSecond} per s`, `${(figures.login.ratio * 100).toFixed(1)}% (goal >= 90%: ${mark(figures.login.ratio >= goals.loginToArgon2)})`);
  if (registration) {
    line('honest login p50/p99 quiet', `${registration.quietLoginMs.p50} / ${registration.quietLoginMs.p99} ms (${registration.quietLoginMs.samples})`);
    line(`  while ${registrants} register long passwords`, `${registration.loadedLoginMs.p50} / ${registration.loadedLoginMs.p99} ms (${registration.loadedLoginMs.samples})`, `p99 ${registration.p99Ratio}x (goal <= 2x: ${mark(registration.p99Ratio <= goals.registrationP99Ratio)}); registrations ${JSON.stringify(registration.registrations)}`);
  }
  if (result.sink) line('collector received', `${result.sink.posts} exports, ${(result.sink.bytes / 1024).toFixed(0)} KiB`);
  if (figures.ranOut) console.log('  (proofs ran out before the end of a window: the rate is over the time measured)');
  return figures;
}

const signedPercent = (fraction: number) => `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%`;

/**
 * What `mode` costs over `off` in CPU per request, pooled over the rounds, and round by round:
 * both modes' windows of a round are seconds apart, so the spread over the rounds shows the noise.
 */
function overheadOver(base: ModeResult, other: ModeResult) {
  const pooled = { base: netUsPerRequest(base.throughput, base.idleUsPerSecond), other: netUsPerRequest(other.throughput, other.idleUsPerSecond) };
  const perRound = Array.from({ length: rounds }, (_, r) => {
    const of = (result: ModeResult) => netUsPerRequest({ direct: result.rounds.direct[r]!, gateway: result.rounds.gateway[r]! }, result.idleUsPerSecond);
    const [b, o] = [of(base), of(other)];
    return { gateway: o.gateway / b.gateway - 1, identity: o.identityDirect / b.identityDirect - 1 };
  });
  const spread = (values: number[]) => [round(Math.min(...values), 3), round(Math.max(...values), 3)] as const;
  return {
    // From the rounded figures the mode lines print, as before, so the line agrees with them.
    gateway: round(pooled.other.gateway, 0) / round(pooled.base.gateway, 0) - 1,
    identity: round(pooled.other.identityDirect, 0) / round(pooled.base.identityDirect, 0) - 1,
    perRound: { gateway: perRound.map((o) => round(o.gateway, 3)), identity: perRound.map((o) => round(o.identity, 3)) },
    range: { gateway: spread(perRound.map((o) => o.gateway)), identity: spread(perRound.map((o) => o.identity)) },
  };
}

function reportOverhead(label: string, overhead: ReturnType<typeof overheadOver>, goal?: number) {
  const [gatewayMin, gatewayMax] = overhead.range.gateway;
  const [identityMin, identityMax] = overhead.range.identity;
  console.log(
    `\n${label}, CPU per request: gateway ${signedPercent(overhead.gateway)} (rounds ${signedPercent(gatewayMin)} … ${signedPercent(gatewayMax)}),` +
      ` identity ${signedPercent(overhead.identity)} (rounds ${signedPercent(identityMin)} … ${signedPercent(identityMax)})` +
      (goal === undefined ? '' : ` (goal <= ${goal * 100}%: ${mark(Math.max(overhead.gateway, overhead.identity) <= goal)})`),
  );
  return { gateway: round(overhead.gateway, 3), identity: round(overhead.identity, 3), perRound: overhead.perRound };
}

async function main() {
  for (const mode of modes) if (!allModes.includes(mode)) throw new Error(`BENCH_MODES: unknown mode ${mode}; expected ${allModes.join(', ')}`);
  if (new Set(modes).size !== modes.length) throw new Error(`BENCH_MODES: a mode named twice in ${modes.join(',')}`);
  const admin = await openAdmin();
  const sink = await startSink();
  const fleets: Fleet[] = [];
  try {
    console.log(`out-of-process edge bench: GET /api/v1/users/me, token + pre-signed fresh DPoP proof per request, ${clients} clients`);
    console.log(
      `from a separate load process per mode, the fleets of ${modes.join(', ')} side by side; ${runMs / 1000} s per mode and path in ${rounds} rounds of ${windowMs / 1000} s,` +
        ` interleaved (forward, then backward); ${latencySamples} sequential; logins straight to identity, ${loginClients} clients for ${loginMs / 1000} s`,
    );
    const verifyUs = es256VerifyUs();
    console.log(`machine: one ES256 verification costs ${verifyUs.toFixed(1)} µs of CPU (node:crypto); CPU per request is also given in verifications`);
    const { results, loadAverage } = await runModes(admin, sink, fleets);
    console.log(`\ninterleaved throughput windows: load average ${loadAverage.before} → ${loadAverage.after}`);
    const figures = results.map((result) => report(result, verifyUs));
    const resultOf = (mode: Mode) => results.find((result) => result.mode === mode);
    const [exporting, start, off] = [resultOf('exporting'), resultOf('start'), resultOf('off')];
    const summary: Record<string, unknown> = { bench: 'edge-out-of-process', clients, machine: { es256VerifyUs: round(verifyUs, 1) }, modes: figures };
    if (exporting && off) summary.tracingCpuOverhead = reportOverhead('tracing exporting vs off', overheadOver(off, exporting), goals.tracingCpuOverhead);
    if (start && off) summary.preloadCpuOverhead = reportOverhead('tracing preloaded without a collector (start) vs off', overheadOver(off, start));
    console.log(JSON.stringify(summary));
  } finally {
    // Every fleet, even after one fails to stop: each holds processes, a schema and streams.
    for (const fleet of fleets) await stopFleet(fleet, admin).catch((err: unknown) => console.error(`stopping the ${fleet.mode} fleet:`, err));
    sink.server.close();
    await admin.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
