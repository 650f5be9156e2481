import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { LruCache } from './lru.js';

/** What the client logs (a pino logger fits); never a key, only why a fetch failed. */
export interface JwksLogger {
  warn(details: object, message: string): void;
}

export interface RemoteJwksOptions {
  /** Identity's `/.well-known/jwks.json` (JWKS_URL in a service, IDENTITY_URL + path in the gateway). */
  url: string;
  /** Least time between two fetches caused by an unknown `kid` (after a successful fetch). */
  refreshMinIntervalMs: number;
  fetchTimeoutMs: number;
  /** After this age the set is re-fetched in the background while the cached one keeps serving. */
  maxAgeMs: number;
  logger: JwksLogger;
  fetch?: typeof fetch;
  now?: () => number;
}

/** A JWKS of a few keys (identity serves the current and the previous one) is a few hundred bytes. */
const maxBodyBytes = 64 * 1024;
const maxKeys = 32;
/** After a failed fetch, the next may come sooner: the set is missing, not merely unknown to an attacker's kid. */
const retryAfterFailureMs = 1_000;
/** Withdrawn kids remembered (the oldest go first): withdrawals are rare, and identity publishes a handful of keys at a time. */
const withdrawnKidsMax = 1_024;
/**
 * After a withdrawal, how long the key identity named as current is awaited: until a fetched
 * set lists it, an unknown kid may refetch at the failure pace instead of once per
 * refreshMinIntervalMs. An identity replica that has not yet re-read its key ring serves the
 * set without it for a moment, and the new key's tokens must not wait out the interval.
 */
const announcedKeyWaitMs = 60_000;

const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })).max(maxKeys) });

export interface RemoteJwks {
  /** The key resolver for jose's jwtVerify (verifyAccessToken's `keys`). */
  getKey: JWTVerifyGetKey;
  /** True once a key set has been fetched from identity: it keeps verifying from then on. */
  loaded(): boolean;
  /**
   * Whether the last key set fetched lists this kid, and it was not withdrawn (synchronous, for
   * cached verdicts): a key identity withdrew is gone as soon as `withdraw` hears of it, or
   * after the next fetch (JWKS_MAX_AGE_MS at most).
   */
  publishes(kid: string): boolean;
  /**
   * Stops trusting these kids now, whatever a fetch brings later (a replica of identity may
   * still serve them from its cache for a moment): identity announced them withdrawn
   * (identity.signing_key.withdrawn). Their cached verdicts go with `publishes`. `current`,
   * the key that replaced them, is fetched as soon as it is needed, whenever the last fetch was.
   */
  withdraw(kids: readonly string[], current?: string): void;
  /**
   * Resolves when a key set is loaded, fetching one first if none is (at most once per
   * retry interval, shared with concurrent callers); rejects while none could be fetched.
   * A readiness check: a verifier without keys refuses every caller.
   */
  ensureLoaded(): Promise<void>;
}

/**
 * Identity's verification keys, fetched and cached. An unknown `kid` re-fetches the set, at
 * most once per `refreshMinIntervalMs`, so a rotation is picked up without letting made-up
 * kids hammer identity. Fails closed: a kid that is not in a set actually fetched from
 * identity never verifies, whatever the network does. While identity is unreachable, the
 * keys already fetched keep verifying (a stale set is better than refusing every caller).
 */
export function remoteJwks(options: RemoteJwksOptions): RemoteJwks {
  const now = options.now ?? Date.now;
  let keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  let kids = new Set<string>();
  let fetched: JSONWebKeySet | undefined;
  const withdrawn = new LruCache<string, true>(withdrawnKidsMax);
  /** The current key a withdrawal announced, until a fetched set lists it or the wait ends. */
  let announced: { kid: string; until: number } | undefined;
  let fetchedAt = -Infinity;
  let nextFetchAllowedAt = -Infinity;
  let inflight: Promise<void> | undefined;

  /** The keys of the last set fetched, less those withdrawn: what verifies. */
  const trust = (jwks: JSONWebKeySet) => {
    fetched = jwks;
    const trusted = { keys: jwks.keys.filter((key) => !(typeof key.kid === 'string' && withdrawn.has(key.kid))) };
    keySet = createLocalJWKSet(trusted);
    kids = new Set(trusted.keys.flatMap((key) => (typeof key.kid === 'string' ? [key.kid] : [])));
    if (announced && kids.has(announced.kid)) announced = undefined;
  };
  const awaitingAnnounced = () => announced !== undefined && now() < announced.until;

  const refresh = (): Promise<void> => {
    inflight ??= (async () => {
      try {
        trust(await fetchJwks(options));
        fetchedAt = now();
        nextFetchAllowedAt = fetchedAt + (awaitingAnnounced() ? Math.min(options.refreshMinIntervalMs, retryAfterFailureMs) : options.refreshMinIntervalMs);
      } catch (err) {
        nextFetchAllowedAt = now() + Math.min(options.refreshMinIntervalMs, retryAfterFailureMs);
        options.logger.warn({ err: { message: (err as Error).message } }, 'fetching the identity JWKS failed');
        throw err;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };

  /** A set past its age is fetched again in the background; the cached one keeps serving meanwhile. */
  const refreshIfStale = () => {
    if (keySet && now() - fetchedAt > options.maxAgeMs && now() >= nextFetchAllowedAt) refresh().catch(() => undefined);
  };

  const getKey: JWTVerifyGetKey = async (header, token) => {
    refreshIfStale();
    if (keySet) {
      try {
        return await keySet(header, token);
      } catch (err) {
        if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      }
    }
    if (now() < nextFetchAllowedAt) throw new errors.JWKSNoMatchingKey();
    await refresh();
    return keySet!(header, token);
  };

  return {
    getKey,
    loaded: () => keySet !== undefined,
    publishes(kid) {
      // Asked for every cached verdict: a verifier serving only cached tokens refreshes here.
      refreshIfStale();
      return kids.has(kid);
    },
    withdraw(withdrawnKids, current) {
      if (current !== undefined && !kids.has(current) && !withdrawn.has(current)) {
        announced = { kid: current, until: now() + announcedKeyWaitMs };
        nextFetchAllowedAt = Math.min(nextFetchAllowedAt, now());
      }
      for (const kid of withdrawnKids) withdrawn.set(kid, true);
      if (fetched && withdrawnKids.some((kid) => kids.has(kid))) trust(fetched);
    },
    async ensureLoaded() {
      if (keySet) return;
      if (now() < nextFetchAllowedAt) throw new Error('no JWKS loaded yet; the last fetch failed');
      await refresh();
    },
  };
}

async function fetchJwks(options: RemoteJwksOptions): Promise<JSONWebKeySet> {
  const response = await (options.fetch ?? fetch)(options.url, {
    headers: { accept: 'application/json' },
    redirect: 'error',
    signal: AbortSignal.timeout(options.fetchTimeoutMs),
  });
  if (!response.ok || !response.body) throw new Error(`JWKS answered ${response.status}`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > maxBodyBytes) throw new Error(`JWKS larger than ${maxBodyBytes} bytes`);
    chunks.push(chunk);
  }
  const { keys } = jwksSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
  // Only public P-256 signing keys: anything else in the set is ignored, never imported.
  const usable = keys.filter((key) => key.kty === 'EC' && key['crv'] === 'P-256' && !('d' in key) && (key['use'] === undefined || key['use'] === 'sig'));
  return { keys: usable } as JSONWebKeySet;
}
