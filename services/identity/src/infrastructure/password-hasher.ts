import { randomBytes } from 'node:crypto';
import { hash as argon2Hash, parseOptions, verify as argon2Verify } from '@node-rs/argon2';
import { Gauge, type Registry } from 'prom-client';
import { Argon2Gate, argon2Priorities } from './argon2-gate.js';
import { argon2Lanes, argon2MemoryKib, argon2OutputBytes, argon2Passes, argon2SaltBytesMin, currentOptions, currentPrefix, normalised } from './argon2-parameters.js';

/**
 * libuv's thread pool, where the binding runs every hash, is 4 threads wide unless
 * UV_THREADPOOL_SIZE says otherwise, and identity leaves it so. A queue this long is already
 * seconds of argon2 on a small machine: past it, 503 and retry beats waiting longer.
 */
const gate = new Argon2Gate({ width: 4, waitingMax: 512 });

/** Argon2 jobs waiting for a place on libuv's pool, by priority, read at scrape time. */
export function registerArgon2Metrics(registry: Registry): void {
  new Gauge({
    name: 'identity_argon2_waiting',
    help: 'Password checks and hashes waiting for a place on the thread pool, by priority (known-device, check, hash)',
    labelNames: ['priority'] as const,
    registers: [registry],
    collect() {
      for (const priority of argon2Priorities) this.set({ priority }, gate.waitingFor(priority));
    },
  });
}

/**
 * A PHC string: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, made on libuv's pool. The
 * service makes its new hashes on its lower-priority password threads instead
 * (PasswordCheckPool.hash); this one serves the CLI, start-up and tests.
 */
export async function hash(password: string): Promise<string> {
  return gate.run('hash', () => argon2Hash(normalised(password), currentOptions));
}

/**
 * True only when `password` matches; a malformed or foreign hash gives false, never an error.
 * `knownDevice`: the check is for a device that has signed in to the account before, and goes
 * before other checks (argon2-gate.ts).
 */
export async function verify(storedHash: string, password: string, options: { knownDevice?: boolean } = {}): Promise<boolean> {
  try {
    return await gate.run(options.knownDevice ? 'known-device' : 'check', () => argon2Verify(storedHash, normalised(password)));
  } catch (error) {
    // The binding reports every undecodable or out-of-range PHC string as InvalidArg; anything
    // else (memory exhaustion, say) is an operating failure and must not pass for a wrong password.
    if (isInvalidArgument(error)) return false;
    throw error;
  }
}

/** True when `storedHash` was made with other parameters than today's (or cannot be read at all). */
export function needsRehash(storedHash: string): boolean {
  if (!storedHash.startsWith(currentPrefix)) return true;
  try {
    const used = parseOptions(storedHash);
    return (
      used.memoryCost !== argon2MemoryKib ||
      used.timeCost !== argon2Passes ||
      used.parallelism !== argon2Lanes ||
      used.outputLen !== argon2OutputBytes ||
      used.saltLen < argon2SaltBytesMin
    );
  } catch (error) {
    if (isInvalidArgument(error)) return true;
    throw error;
  }
}

// Started at load so that no request pays for it; same parameters as real hashes so that a
// verification against it costs what a real one does. Nobody knows the secret: it never matches.
const dummyHash: Promise<string> = argon2Hash(randomBytes(32), currentOptions);

/** Spends the time of a real verification, for logins naming no account; always false. */
export async function dummyVerify(password: string): Promise<false> {
  await verify(await dummyHash, password);
  return false;
}

function isInvalidArgument(error: unknown): boolean {
  return error instanceof Error && (error as Error & { code?: unknown }).code === 'InvalidArg';
}
