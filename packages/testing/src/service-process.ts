// Benchmarks and tests that run services as `pnpm start` runs them, each a process of its own:
// the benches read each process's CPU time around a measured window (the gateway's and
// payments'); the gateway's connection test runs it under a container's open-files limit.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { diesWithParent } from './dies-with-parent.js';
import { workspaceRoot } from './operator-cli.js';

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<unknown>;
}

export interface ServiceProcessOptions {
  /** Node flags before `dist/main.js` (e.g. `--import @elcorp/kit/telemetry`, `--cpu-prof`). */
  nodeArgs?: ReadonlyArray<string>;
  /** The environment, complete: nothing of this process's is inherited. */
  env: Record<string, string>;
  /** The folder whose `dist/main.js` runs; services/<name> of the workspace unless given. */
  cwd?: string;
  /** The script to run instead of `dist/main.js`, relative to `cwd` (a bench's stand-in such as the gateway's bare proxy). */
  entry?: string;
  /**
   * RLIMIT_NOFILE, soft and hard, set by util-linux's prlimit before node starts (a container's
   * `ulimit -n`). prlimit is found on `env`'s PATH, or in /usr/bin and /bin when it has none.
   */
  openFilesLimit?: number;
}

let clockTicksPerSecond: number | undefined;

/** User and system (kernel: sockets, scheduling) CPU time of a process, all threads, in µs (Linux /proc). */
export function cpuTimesUsOf(pid: number): { user: number; system: number } {
  clockTicksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return { user: (Number(fields[11]) * 1e6) / clockTicksPerSecond, system: (Number(fields[12]) * 1e6) / clockTicksPerSecond };
}

/** User plus system CPU time of a process, all threads, in µs. */
export function cpuUsOf(pid: number): number {
  const { user, system } = cpuTimesUsOf(pid);
  return user + system;
}

/** `node dist/main.js` (or `entry`) in services/<name> (or `cwd`), its output prefixed with the name on stderr. */
export function startServiceProcess(name: string, options: ServiceProcessOptions): ServiceProcess {
  const node = [process.execPath, '--enable-source-maps', ...(options.nodeArgs ?? []), options.entry ?? 'dist/main.js'];
  // prlimit and setpriv exec the command once the limit is set: the child's pid is node's.
  const limited = options.openFilesLimit === undefined ? node : ['prlimit', `--nofile=${options.openFilesLimit}:${options.openFilesLimit}`, '--', ...node];
  const [command, ...args] = diesWithParent(limited);
  const child = spawn(command!, args, {
    cwd: options.cwd ?? join(workspaceRoot, 'services', name),
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => process.stderr.write(`${name} | ${line}\n`));
  }
  return { name, child, exited: once(child, 'exit') };
}

/** Polls `${url}/health/ready` until 200; fails if the process exits first or the time runs out. */
export async function waitReady(service: ServiceProcess, url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited with ${service.child.exitCode} before it was ready`);
    const ready = await fetch(`${url}/health/ready`).then((res) => res.status === 200, () => false);
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${service.name} not ready within ${timeoutMs} ms`);
}

/** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. */
export async function stopServiceProcess(service: ServiceProcess, timeoutMs = 15_000): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), timeoutMs);
  await service.exited;
  clearTimeout(timer);
}
