import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Test } from 'tap';
import { testConfig } from './config.js';
import { freePort, tryConnect } from './ports.js';

export interface NatsServerOptions {
  /** Extra nats-server arguments, after the defaults (e.g. `-c` with a configuration file). */
  args?: string[];
  /** Variables added to the server's environment (a configuration's `$VARIABLE`s). */
  env?: Record<string, string>;
  /** How long start may wait for the port to accept connections (default 10 s). */
  readyTimeoutMs?: number;
  /** How long stop waits after SIGTERM before SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
}

export interface NatsServer {
  url: string;
  port: number;
  /** What the server logged (stderr) since it last started, the last 256 KiB at most. */
  log(): string;
  /** SIGTERM, then wait for the process to exit. No-op when stopped. */
  stop(): Promise<void>;
  /** Starts again on the same port and JetStream store. No-op when running. */
  start(): Promise<void>;
}

const READY_POLL_MS = 20;
const STDERR_TAIL_CHARS = 256 * 1024;

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

async function natsServerBinary(): Promise<string> {
  for (const candidate of testConfig.natsServerPaths) {
    if (!candidate.includes('/')) return candidate;
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not installed here; try the next candidate
    }
  }
  return 'nats-server';
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Runs a private nats-server with JetStream on a free port, so a test can stop and restart a
 * broker without touching the machine's. Stopped and its store removed at teardown.
 */
export async function startNatsServer(t: Test, opts: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = await natsServerBinary();
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'elcorp-nats-'));
  const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir, ...(opts.args ?? [])];
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  const stopTimeoutMs = opts.stopTimeoutMs ?? 10_000;
  let child: ChildProcess | undefined;
  let stderr = '';

  async function start(): Promise<void> {
    if (child) return;
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(opts.env ? { env: { ...testConfig.commandEnv, ...opts.env } } : {}) });
    child = proc;
    track(proc);
    let failure: Error | undefined;
    stderr = '';
    // Always drain stderr (nats-server logs there): a full pipe would block the server.
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
    });
    proc.once('error', (err) => (failure = err));
    try {
      await waitUntilReady(proc, () => failure, () => stderr);
    } catch (err) {
      await stop();
      throw err;
    }
  }

  async function waitUntilReady(proc: ChildProcess, spawnError: () => Error | undefined, log: () => string) {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      const err = spawnError();
      if (err) throw new Error(`cannot run ${binary}: ${err.message}`, { cause: err });
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`nats-server exited (${proc.exitCode ?? proc.signalCode}) before listening on ${port}:\n${log()}`);
      }
      if (await tryConnect(port).then(() => true, () => false)) return;
      if (Date.now() > deadline) {
        throw new Error(`nats-server did not listen on ${port} within ${readyTimeoutMs} ms:\n${log()}`);
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

  t.teardown(async () => {
    await stop();
    await rm(storeDir, { recursive: true, force: true });
  });
  await start();
  return { url: `nats://127.0.0.1:${port}`, port, log: () => stderr, stop, start };
}
