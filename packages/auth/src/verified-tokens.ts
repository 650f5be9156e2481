import { verifyAccessToken, type AccessTokenClaims } from './access-token.js';
import { decodeProtectedHeader, type JWTVerifyGetKey } from 'jose';
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

export interface CachedTokenVerifierOptions {
  maxEntries?: number;
  now?: () => number;
  /**
   * Whether the key set still publishes a kid (RemoteJwks.publishes): a verdict whose key was
   * withdrawn (a suspected leak) is dropped at once instead of living until the token expires.
   */
  publishes?: ((kid: string) => boolean) | undefined;
}

interface Verdict {
  claims: AccessTokenClaims;
  kid: string;
}

/**
 * Access tokens already verified, until they expire: a client sends the same token with
 * every request for 15 minutes, and its signature check is the costliest step of
 * authentication. Bounded and least-recently-used, so a flood of distinct tokens evicts
 * other flood entries, not the tokens in use. Identity publishes a retired key for a day,
 * longer than any token it signed lives; a key it withdraws is gone from the next key set
 * fetched, and with `publishes` the verdicts it signed go with it.
 */
export function cachedTokenVerifier(keys: JWTVerifyGetKey, options: CachedTokenVerifierOptions = {}): TokenVerifier {
  const verified = new LruCache<string, Verdict>(options.maxEntries ?? 10_000);
  const now = options.now ?? Date.now;
  const publishes = options.publishes ?? (() => true);
  // Keyed by the token's hash (the proof's `ath`, computed once per token): fixed-size keys.
  const known = (token: string): AccessTokenClaims | undefined => {
    const digest = accessTokenHash(token);
    const verdict = verified.get(digest);
    if (verdict && verdict.claims.exp > now() / 1000 && publishes(verdict.kid)) return verdict.claims;
    if (verdict) verified.delete(digest);
    return undefined;
  };
  return {
    known,
    async verify(token) {
      const cached = known(token);
      if (cached) return cached;
      const claims = await verifyAccessToken(token, { keys, nowSeconds: Math.floor(now() / 1000) });
      // Verified: the header parsed and names the kid its key was found by.
      verified.set(accessTokenHash(token), { claims, kid: String(decodeProtectedHeader(token).kid) });
      return claims;
    },
  };
}
