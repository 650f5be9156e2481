import { hash } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';

/** RFC 7638 SHA-256 thumbprint of a public key, base64url: the device's identity (`jkt`). */
export async function jwkThumbprint(jwk: JWK): Promise<string> {
  if (jwk.kty === 'EC' && typeof jwk.crv === 'string' && typeof jwk.x === 'string' && typeof jwk.y === 'string') {
    // The required members in lexicographic order (RFC 7638 §3.2), hashed synchronously:
    // WebCrypto's digest costs far more than the hash on a hot path that runs per request,
    // and the one-shot hash() skips the Hash object createHash() builds each time.
    const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
    return hash('sha256', canonical, 'base64url');
  }
  return calculateJwkThumbprint(jwk, 'sha256');
}

/** base64url(SHA-256(access token)), the DPoP `ath` claim. */
export function accessTokenHash(accessToken: string): string {
  // A token is ASCII (base64url and dots): its UTF-8 bytes are the ASCII ones.
  return hash('sha256', accessToken, 'base64url');
}
