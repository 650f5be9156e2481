import type { Test } from 'tap';
import { testConfig } from './config.js';
import { freePort } from './ports.js';
import { startServerWithDirectory, type ServerProcess } from './server-process.js';

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

export interface NatsServer extends ServerProcess {
  url: string;
  port: number;
}

/**
 * Runs a private nats-server with JetStream on a free port, so a test can stop and restart a
 * broker without touching the machine's. Stopped and its store removed at teardown; start()
 * after stop() keeps the port and the JetStream store.
 */
export async function startNatsServer(t: Test, opts: NatsServerOptions = {}): Promise<NatsServer> {
  const port = await freePort();
  const { args = [], ...rest } = opts;
  const server = await startServerWithDirectory(t, 'nats', (storeDir) => ({
    ...rest,
    name: 'nats-server',
    binaries: testConfig.natsServerPaths,
    args: ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir, ...args],
    port,
  }));
  return { ...server, url: `nats://127.0.0.1:${port}`, port };
}
