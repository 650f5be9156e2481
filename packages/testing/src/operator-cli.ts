import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testConfig } from './config.js';

/** The workspace root, where `pnpm elcorp` is a script (this file is packages/testing/dist/). */
export const workspaceRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliRun {
  status: number;
  stdout: string;
  /** What the command wrote; pnpm's own "[ELIFECYCLE] Command failed" line is left out. */
  stderr: string;
}

/**
 * Runs `pnpm --silent elcorp <args>` from the workspace root, as an operator types it, with
 * these variables over the test's environment (each test points the command at its own
 * schema and subject root). Bounded: a command that hangs is killed after `timeoutMs`.
 */
export function runOperatorCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile('pnpm', ['--silent', 'elcorp', ...args], { cwd: workspaceRoot, env: { ...testConfig.commandEnv, ...env }, timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ status, stdout, stderr: stderr.replace(/^\[ELIFECYCLE\].*\n?/gm, '') });
    });
  });
}
