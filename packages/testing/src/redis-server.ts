import type { Test } from 'tap';
import { testConfig } from './config.js';
import { freePort } from './ports.js';
import { startServerWithDirectory, type ServerProcess } from './server-process.js';

export interface RedisServer extends ServerProcess {
  /** redis://127.0.0.1:<port>, with no user: add one to sign in. */
  url: string;
  port: number;
}

/**
 * Runs a private redis-server on a free port, without persistence, so a test can run Redis
 * configured as production is (e.g. compose's ACL users) without touching the machine's.
 * `args` come after the defaults. Stopped and its directory removed at teardown.
 */
export async function startRedisServer(t: Test, args: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const server = await startServerWithDirectory(t, 'redis', (dir) => ({
    name: 'redis-server',
    binaries: testConfig.redisServerPaths,
    args: ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no', ...args],
    port,
  }));
  return { ...server, url: `redis://127.0.0.1:${port}`, port };
}
