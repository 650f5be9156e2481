import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { testConfig } from '@elcorp/testing';
import { ensureDebianPackages } from './debian.js';

const run = promisify(execFile);
const source = fileURLToPath(new URL('../verifier/main.go', import.meta.url));
const goTimeoutMs = 600_000;

/** Debian's Go and golang.org/x/mod (sumdb/note, sumdb/tlog), installed when missing. */
async function ensureGo(): Promise<void> {
  await ensureDebianPackages('/usr/bin/go', ['golang-go']);
  await ensureDebianPackages('/usr/share/gocode/src/golang.org/x/mod/sumdb/note/note.go', ['golang-golang-x-mod-dev']);
}

let built: Promise<string> | undefined;

/** Builds the verifier once per test process (GOPATH mode on Debian's packaged sources). */
export function goVerifier(): Promise<string> {
  built ??= (async () => {
    await ensureGo();
    const dir = await mkdtemp(join(tmpdir(), 'elcorp-verifier-'));
    const binary = join(dir, 'verifier');
    await run('go', ['build', '-o', binary, source], {
      timeout: goTimeoutMs,
      env: { ...testConfig.aptEnv, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: join(dir, 'cache'), GOFLAGS: '' },
    });
    return binary;
  })();
  return built;
}

export interface VerifierInput {
  verifierKey: string;
  signedNote: string;
  inclusion?: { leafIndex: number; leafHash: string; auditPath: string[] };
  consistency?: { from: number; oldRoot: string; proof: string[] };
}

/** Runs the Go verifier; resolves with its verdict line ("ok" or "FAIL: …"). */
export async function runGoVerifier(input: VerifierInput): Promise<string> {
  const binary = await goVerifier();
  return new Promise((resolve, reject) => {
    const child = execFile(binary, [], { timeout: 30_000 }, (err, stdout) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') reject(err);
      else resolve(stdout.trim());
    });
    child.stdin!.end(JSON.stringify(input));
  });
}

/** Runs many checks in one Go process; one verdict per input, in order. */
export async function runGoVerifierBatch(inputs: readonly VerifierInput[]): Promise<string[]> {
  const binary = await goVerifier();
  return new Promise((resolve, reject) => {
    const child = execFile(binary, ['batch'], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout.trim().split('\n'));
    });
    child.stdin!.end(JSON.stringify(inputs));
  });
}
