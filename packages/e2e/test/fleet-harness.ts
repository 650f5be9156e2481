import { diesWithParent, testConfig, testNatsPrefix, testRedisPrefix } from '@elcorp/testing';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
// start-fleet's port order: the gateway on the base, then the others.
export const services = ['gateway', 'identity', 'payments', 'governance', 'compliance'] as const;
export type Service = (typeof services)[number];

// A bound, not a speed goal: on a shared two-core machine under load five services can take
// over a minute to open their connections, migrate and load keys.
export const readyDeadlineMs = 120_000;
export const readyPollMs = 100;
export const stopDeadlineMs = 20_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Fleet {
  portOf(service: Service): number;
  output(): string;
  /** Resolves with the fleet's exit, or undefined if it is still running after `ms`. */
  exitWithin(ms: number): Promise<Exit | undefined>;
  stop(): void;
}

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Fleets take bases on a 10-port grid below Linux's ephemeral range (32768 up), so no
 * outgoing connection of a busy test machine holds one of their ports, and two fleets never
 * overlap: a fleet holds the block of its base and the block of its gateway's internal port
 * (base + 1000) through lock files that other test processes respect. A block whose holder
 * died is taken over.
 */
const gridPorts = 10;
const lowestBase = 20_000;
const highestBase = 31_000; // + 1000 for the internal listener stays under 32768
const locks = join(tmpdir(), 'elcorp-fleet-ports');

function holderAlive(file: string): boolean {
  const pid = Number(readFileSync(file, 'utf8'));
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockBlock(port: number): (() => void) | undefined {
  const file = join(locks, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let alive = true;
      try {
        alive = holderAlive(file);
      } catch {
        alive = false; // half-written or just released
      }
      if (alive) return undefined;
      rmSync(file, { force: true });
    }
  }
  return undefined;
}

/** A base port whose fleet ports are free and held for this test until it ends. */
export async function freePortBase(t: Test): Promise<number> {
  mkdirSync(locks, { recursive: true });
  const slots = (highestBase - lowestBase) / gridPorts;
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = lowestBase + gridPorts * Math.floor(Math.random() * slots);
    const releaseBase = lockBlock(base);
    if (!releaseBase) continue;
    const releaseInternal = lockBlock(base + 1000);
    if (!releaseInternal) {
      releaseBase();
      continue;
    }
    const ports = [...services.keys()].map((i) => base + i).concat(base + 1000);
    const free = (await Promise.all(ports.map(listenable))).every(Boolean);
    if (free) {
      t.teardown(() => {
        releaseInternal();
        releaseBase();
      });
      return base;
    }
    releaseInternal();
    releaseBase();
  }
  throw new Error(`no free fleet base between ${lowestBase} and ${highestBase}`);
}

/**
 * Broker settings of a fleet no other test or fleet shares: its own subject root, whose
 * streams the prefix's teardown deletes, and small streams, because JetStream reserves each
 * stream's max_bytes (1 GiB by default, six per root) on the shared server.
 */
export async function brokerEnv(t: Test): Promise<Record<string, string>> {
  const { prefix, url } = await testNatsPrefix(t);
  return {
    NATS_URL: url,
    REDIS_URL: testConfig.redisUrl,
    EVENT_SUBJECT_ROOT: prefix.toLowerCase(),
    EVENT_STREAM_MAX_BYTES: String(8 * 1024 * 1024),
  };
}

/**
 * Runs scripts/start-fleet.mjs as `pnpm start` does after its build. The environment is the
 * test's minus tap's own (its loader hooks would load into every service) and minus any
 * database target, so each service reaches its own schema as its own role by default.
 */
export function startFleet(t: Test, env: Record<string, string>): Fleet {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(NODE_OPTIONS|NODE_V8_COVERAGE|TAP|_TAPJS|DATABASE_)/.test(name)),
  );
  const base = Number(env.FLEET_PORT_BASE);
  // Its own process group, so a failed test can kill the services along with the script.
  // Dies with the test process, however it dies; its services die with it (start-fleet).
  const [command, ...args] = diesWithParent([process.execPath, 'scripts/start-fleet.mjs']);
  const child = spawn(command!, args, {
    cwd: repoRoot,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  t.teardown(async () => {
    if (done) return;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is already gone
    }
    await exited;
  });
  return {
    portOf: (service) => base + services.indexOf(service),
    output: () => output,
    exitWithin: (ms) => Promise.race([exited, delay(ms, undefined, { ref: false })]),
    stop: () => child.kill('SIGTERM'),
  };
}

/** The service's own log lines, parsed, without start-fleet's `name |` prefix. */
export function logLines(output: string, service: Service): Array<Record<string, unknown>> {
  const prefix = new RegExp(`^${service}\\s*\\| (\\{.*\\})$`);
  return output.split('\n').flatMap((line) => {
    const json = prefix.exec(line)?.[1];
    return json ? [JSON.parse(json) as Record<string, unknown>] : [];
  });
}

/**
 * Waits until every service answers ready. Readiness is not announced by any event a test
 * could await, so each service is polled, every 100 ms and for 30 s at most; the fleet
 * exiting meanwhile ends the wait at once.
 */
export async function waitUntilReady(fleet: Fleet): Promise<{ answers: Map<Service, Response>; exitedEarly: Exit | undefined }> {
  const deadline = Date.now() + readyDeadlineMs;
  const answers = new Map<Service, Response>();
  let exitedEarly: Exit | undefined;
  while (answers.size < services.length && Date.now() < deadline && !exitedEarly) {
    // The gateway is ready once it holds identity's keys, so it is asked only after identity
    // is: its readiness counts against the per-address rate limit like any request.
    for (const service of services.filter((s) => !answers.has(s) && (s !== 'gateway' || answers.has('identity')))) {
      const response = await fetch(`http://127.0.0.1:${fleet.portOf(service)}/health/ready`).catch(() => undefined);
      await response?.arrayBuffer(); // read it all, so no half-read response holds a socket
      if (response?.status === 200) answers.set(service, response);
    }
    exitedEarly = await fleet.exitWithin(readyPollMs);
  }
  return { answers, exitedEarly };
}

/**
 * The fleet on free ports, its own broker root and Redis prefix, as customers reach it: only
 * through the gateway. Several customers' calls and their polling share one client address,
 * so the per-address limit is raised.
 */
export async function customerFleet(t: Test): Promise<{ fleet: Fleet; gateway: string; broker: Record<string, string> }> {
  const base = await freePortBase(t);
  const gateway = `http://127.0.0.1:${base}`;
  const redis = await testRedisPrefix(t);
  const broker = await brokerEnv(t);
  const fleet = startFleet(t, {
    ...broker,
    FLEET_PORT_BASE: String(base),
    PUBLIC_BASE_URL: gateway,
    REDIS_KEY_PREFIX: redis.prefix,
    NOTIFICATIONS_DIR: t.testdir({}),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_IP_PER_MINUTE: '1000',
  });
  return { fleet, gateway, broker };
}
