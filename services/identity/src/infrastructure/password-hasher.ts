import { randomBytes } from 'node:crypto';
import { hash as argon2Hash, parseOptions, verify as argon2Verify } from '@node-rs/argon2';
import { Argon2Gate } from './argon2-gate.js';
import { argon2Lanes, argon2MemoryKib, argon2OutputBytes, argon2Passes, argon2SaltBytesMin, currentOptions, currentPrefix, normalised } from './argon2-parameters.js';

/**
 * libuv's thread pool, where the binding runs every hash, is 4 threads wide unless
 * UV_THREADPOOL_SIZE says otherwise, and identity leaves it so. A queue this long is already
 * seconds of argon2 on a small machine: past it, 503 and retry beats waiting longer.
 */
const gate = new Argon2Gate({ width: 4, waitingMax: 512 });

/**
 * A PHC string: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, made on libuv's pool. The
 * service makes its new hashes on its lower-priority password threads instead
 * (PasswordCheckPool.hash); this one serves the CLI, start-up and tests.
 */
export async function hash(password: string): Promise<string> {
  return gate.run('hash', () => argon2Hash(normalised(password), currentOptions));
}

/** True only when `password` matches; a malformed or foreign hash gives false, never an error. */
export async function verify(storedHash: string, password: string): Promise<boolean> {
  try {
    return await gate.run('check', () => argon2Verify(storedHash, normalised(password)));
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
