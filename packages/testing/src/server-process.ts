import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Test } from 'tap';
import { testConfig } from './config.js';
import { diesWithParent } from './dies-with-parent.js';
import { tryConnect } from './ports.js';

export interface ServerProcessOptions {
  /** What the server is called in errors ("nats-server", "redis-server"). */
  name: string;
  /** Candidate paths of the binary, in order; a bare name is looked up on PATH. */
  binaries: readonly string[];
  args: string[];
  /** Variables added to the server's environment. */
  env?: Record<string, string>;
  /** The port it is ready once it accepts connections on. */
  port: number;
  /** How long start may wait for the port (default 10 s). */
  readyTimeoutMs?: number;
  /** How long stop waits after SIGTERM before SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
}

export interface ServerProcess {
  /** What the server logged (stderr and stdout) since it last started, the last 256 KiB at most. */
  log(): string;
  /** SIGTERM, then wait for the process to exit. No-op when stopped. */
  stop(): Promise<void>;
  /** Starts again with the same arguments. No-op when running. */
  start(): Promise<void>;
}

const READY_POLL_MS = 20;
const LOG_TAIL_CHARS = 256 * 1024;

// Children still running when the test process exits (a crash or tap's timeout) would
// outlive it and hold their ports; kill them on the way out.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const proc of running) proc.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

async function binaryOf(candidates: readonly string[]): Promise<string> {
  for (const candidate of candidates) {
    if (!candidate.includes('/')) return candidate;
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not installed here; try the next candidate
    }
  }
  return candidates[candidates.length - 1]!;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A server binary a test runs as a child of its own, started once `port` accepts connections. */
export async function startServerProcess(opts: ServerProcessOptions): Promise<ServerProcess> {
  const binary = await binaryOf(opts.binaries);
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  const stopTimeoutMs = opts.stopTimeoutMs ?? 10_000;
  let child: ChildProcess | undefined;
  let output = '';

  async function start(): Promise<void> {
    if (child) return;
    const env = opts.env ? { env: { ...testConfig.commandEnv, ...opts.env } } : {};
    const [command, ...args] = diesWithParent([binary, ...opts.args]);
    const proc = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'], ...env });
    child = proc;
    track(proc);
    let failure: Error | undefined;
    output = '';
    // Always drain both pipes (servers log there): a full pipe would block the server.
    for (const stream of [proc.stdout, proc.stderr]) {
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        output = (output + chunk).slice(-LOG_TAIL_CHARS);
      });
    }
    proc.once('error', (err) => (failure = err));
    try {
      await waitUntilReady(proc, () => failure);
    } catch (err) {
      await stop();
      throw err;
    }
  }

  async function waitUntilReady(proc: ChildProcess, spawnError: () => Error | undefined) {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      const err = spawnError();
      if (err) throw new Error(`cannot run ${binary}: ${err.message}`, { cause: err });
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`${opts.name} exited (${proc.exitCode ?? proc.signalCode}) before listening on ${opts.port}:\n${output.slice(-4_000)}`);
      }
      if (await tryConnect(opts.port).then(() => true, () => false)) return;
      if (Date.now() > deadline) {
        throw new Error(`${opts.name} did not listen on ${opts.port} within ${readyTimeoutMs} ms:\n${output.slice(-4_000)}`);
      }
      await delay(READY_POLL_MS);
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (!proc) return;
    child = undefined;
    // A binary that failed to spawn has no pid and may never emit 'exit'.
    if (proc.pid === undefined) {
      running.delete(proc);
      return;
    }
    const done = exited(proc);
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), stopTimeoutMs);
    await done;
    clearTimeout(timer);
  }

  await start();
  return { log: () => output, stop, start };
}

/**
 * A server with a data directory of its own (`optionsFor` gets its path), stopped and the
 * directory removed at teardown, also when the start fails.
 */
export async function startServerWithDirectory(t: Test, name: string, optionsFor: (dir: string) => ServerProcessOptions): Promise<ServerProcess> {
  const dir = await mkdtemp(join(tmpdir(), `elcorp-${name}-`));
  const starting = startServerProcess(optionsFor(dir));
  t.teardown(async () => {
    // A start that failed stopped its own process; the directory goes all the same.
    await starting.then((server) => server.stop(), () => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  return starting;
}
