// Password storage per the OWASP Password Storage Cheat Sheet: argon2id, m=19456 KiB, t=2, p=1.
// Shared by the hasher on the event loop's side and the worker threads that make new hashes.

// The algorithm is left to the library's default, argon2id: its `Algorithm` const enum cannot be
// imported under verbatimModuleSyntax. needsRehash and the tests check the `$argon2id$` prefix.
export const argon2MemoryKib = 19_456;
export const argon2Passes = 2;
export const argon2Lanes = 1;
export const argon2OutputBytes = 32;
export const argon2SaltBytesMin = 16;
export const currentPrefix = '$argon2id$v=19$';

export const currentOptions = {
  memoryCost: argon2MemoryKib,
  timeCost: argon2Passes,
  parallelism: argon2Lanes,
  outputLen: argon2OutputBytes,
};

// NIST SP 800-63B asks for Unicode normalisation before hashing, so "é" typed precomposed or
// decomposed (macOS vs Windows keyboards) is the same password. NFC, as the policy counts it.
export function normalised(password: string): string {
  return password.normalize('NFC');
}
