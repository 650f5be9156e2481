import { verifyAccessToken, type AccessTokenClaims } from './access-token.js';
import type { JWTVerifyGetKey } from 'jose';
import { LruCache } from './lru.js';
import { accessTokenHash } from './thumbprint.js';

export interface TokenVerifier {
  verify(token: string): Promise<AccessTokenClaims>;
  /**
   * The claims of a token already verified and not expired, synchronously; undefined when
   * `verify` must run. Saves a hot path the promise of an answer it already has.
   */
  known?(token: string): AccessTokenClaims | undefined;
}

/**
 * Access tokens already verified, until they expire: a client sends the same token with
 * every request for 15 minutes, and its signature check is the costliest step of
 * authentication. Bounded and least-recently-used, so a flood of distinct tokens evicts
 * other flood entries, not the tokens in use. Identity publishes a retired key for a day,
 * longer than any token it signed lives, so a cached verdict never outlives its key.
 */
export function cachedTokenVerifier(keys: JWTVerifyGetKey, options: { maxEntries?: number; now?: () => number } = {}): TokenVerifier {
  const verified = new LruCache<string, AccessTokenClaims>(options.maxEntries ?? 10_000);
  const now = options.now ?? Date.now;
  // Keyed by the token's hash (the proof's `ath`, computed once per token): fixed-size keys.
  const known = (token: string): AccessTokenClaims | undefined => {
    const digest = accessTokenHash(token);
    const claims = verified.get(digest);
    if (claims && claims.exp > now() / 1000) return claims;
    if (claims) verified.delete(digest);
    return undefined;
  };
  return {
    known,
    async verify(token) {
      const cached = known(token);
      if (cached) return cached;
      const claims = await verifyAccessToken(token, { keys, nowSeconds: Math.floor(now() / 1000) });
      verified.set(accessTokenHash(token), claims);
      return claims;
    },
  };
}
