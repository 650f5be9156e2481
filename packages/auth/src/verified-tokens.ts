import { hash } from 'node:crypto';
import { verifyAccessToken, type AccessTokenClaims } from './access-token.js';
import type { JWTVerifyGetKey } from 'jose';
import { LruCache } from './lru.js';

export interface TokenVerifier {
  verify(token: string): Promise<AccessTokenClaims>;
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
  return {
    async verify(token) {
      const digest = hash('sha256', token, 'base64url');
      const known = verified.get(digest);
      if (known && known.exp > now() / 1000) return known;
      if (known) verified.delete(digest);
      const claims = await verifyAccessToken(token, { keys, nowSeconds: Math.floor(now() / 1000) });
      verified.set(digest, claims);
      return claims;
    },
  };
}
