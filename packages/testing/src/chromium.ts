import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { promisify } from 'node:util';
import { testConfig } from './config.js';

const run = promisify(execFile);
const chromiumPath = '/usr/bin/chromium';
const installTimeoutMs = 10 * 60_000;

/**
 * Debian's Chromium for browser tests, installed on first use: a fresh CI machine has none,
 * and the suite that needs it installs it itself rather than relying on what a session left.
 * Browser tools' own downloads cannot work here (no internet but the package registries).
 */
export async function ensureChromium(): Promise<string> {
  if (await exists(chromiumPath)) return chromiumPath;
  if (process.getuid?.() !== 0) throw new Error(`${chromiumPath} is missing: install Debian's chromium package (apt-get install chromium)`);
  const env = testConfig.aptEnv;
  await run('apt-get', ['update', '-qq'], { env, timeout: installTimeoutMs });
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { env, timeout: installTimeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (!(await exists(chromiumPath))) throw new Error(`apt-get installed chromium but ${chromiumPath} is still missing`);
  return chromiumPath;
}

/**
 * Flags for headless Chromium on these machines: as root it needs --no-sandbox, and with no
 * internet its background services would only flood the log with refused connections.
 */
export const chromiumArgs: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
