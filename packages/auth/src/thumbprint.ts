import { hash } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { LruCache } from './lru.js';

/** RFC 7638 SHA-256 thumbprint of a public key, base64url: the device's identity (`jkt`). */
export async function jwkThumbprint(jwk: JWK): Promise<string> {
  if (jwk.kty === 'EC' && typeof jwk.crv === 'string' && typeof jwk.x === 'string' && typeof jwk.y === 'string') {
    return ecThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y });
  }
  return calculateJwkThumbprint(jwk, 'sha256');
}

/**
 * The RFC 7638 thumbprint of an EC public key, synchronously: the required members in
 * lexicographic order (§3.2), hashed with node:crypto. WebCrypto's digest costs far more
 * than the hash on a hot path that runs per request, and the one-shot hash() skips the Hash
 * object createHash() builds each time.
 */
export function ecThumbprint(jwk: { kty: string; crv: string; x: string; y: string }): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return hash('sha256', canonical, 'base64url');
}

/**
 * Hashes of the access tokens in use: a client sends the same token with every request for
 * its lifetime, and both the verified-token cache and the proof's `ath` check need its hash.
 * Bounded, least recently used first; longer tokens than any identity issues are not kept.
 */
const tokenHashes = new LruCache<string, string>(1_000);
const keptTokenLengthMax = 2_048;

/** base64url(SHA-256(access token)), the DPoP `ath` claim. */
export function accessTokenHash(accessToken: string): string {
  const known = tokenHashes.get(accessToken);
  if (known !== undefined) return known;
  // A token is ASCII (base64url and dots): its UTF-8 bytes are the ASCII ones.
  const digest = hash('sha256', accessToken, 'base64url');
  if (accessToken.length <= keptTokenLengthMax) tokenHashes.set(accessToken, digest);
  return digest;
}
