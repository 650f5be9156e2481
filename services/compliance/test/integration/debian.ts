import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { promisify } from 'node:util';
import { testConfig } from '@elcorp/testing';

const run = promisify(execFile);
const installTimeoutMs = 10 * 60_000;

/**
 * Installs Debian packages a suite needs when a file they provide is missing: a fresh CI
 * machine has none of them. Parallel test files queue on dpkg's lock instead of failing.
 */
export async function ensureDebianPackages(marker: string, packages: readonly string[]): Promise<void> {
  if (await access(marker).then(() => true, () => false)) return;
  if (process.getuid?.() !== 0) throw new Error(`${marker} is missing: apt-get install ${packages.join(' ')}`);
  const wait = ['-o', 'DPkg::Lock::Timeout=600'];
  await run('apt-get', [...wait, 'update', '-qq'], { env: testConfig.aptEnv, timeout: installTimeoutMs });
  await run('apt-get', [...wait, 'install', '-y', '-qq', '--no-install-recommends', ...packages], { env: testConfig.aptEnv, timeout: installTimeoutMs, maxBuffer: 64 * 1024 * 1024 });
}
