import { developmentClientAddressSecret } from '@elcorp/kit';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { redisSessionDenyList } from '../deny-list.js';
import { remoteJwks, type JwksLogger, type RemoteJwks } from '../jwks.js';
import { cachedTokenVerifier } from '../verified-tokens.js';
import type { ServiceAuth } from './plugin.js';

/** The JWKS client's timing, shared by the gateway and every service (README.md documents each). */
export const jwksTimingShape = {
  /** Least time between two JWKS fetches triggered by an unknown `kid` (a flood of made-up kids costs identity nothing). */
  JWKS_REFRESH_MIN_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** Deadline for one JWKS fetch, body included. */
  JWKS_FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(2_000),
  /** Age after which the cached key set is re-fetched in the background (removed keys stop verifying). */
  JWKS_MAX_AGE_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(300_000),
};

/** What a service behind the gateway reads to verify callers; spread it into its configShape. */
export const serviceAuthConfigShape = {
  /** Identity's key set. */
  JWKS_URL: z.url().default('http://127.0.0.1:8081/.well-known/jwks.json'),
  ...jwksTimingShape,
  /** Must equal identity's: the session deny-list lives under it. */
  REDIS_KEY_PREFIX: z.string().max(64).default('elcorp:'),
  /** The gateway's: a request it attests it admitted skips the deny-list read (never under a public value). */
  CLIENT_ADDRESS_SECRET: z.string().min(32).default(developmentClientAddressSecret),
};

export interface ServiceAuthConfig {
  JWKS_URL: string;
  JWKS_REFRESH_MIN_INTERVAL_MS: number;
  JWKS_FETCH_TIMEOUT_MS: number;
  JWKS_MAX_AGE_MS: number;
  REDIS_KEY_PREFIX: string;
  CLIENT_ADDRESS_SECRET: string;
}

export interface OpenedServiceAuth extends ServiceAuth {
  jwks: RemoteJwks;
}

/** Token verification and the deny-list of a service, from its configuration. Opens no connection. */
export function openServiceAuth(config: ServiceAuthConfig, deps: { redis: Redis; logger: JwksLogger }): OpenedServiceAuth {
  const jwks = remoteJwks({
    url: config.JWKS_URL,
    refreshMinIntervalMs: config.JWKS_REFRESH_MIN_INTERVAL_MS,
    fetchTimeoutMs: config.JWKS_FETCH_TIMEOUT_MS,
    maxAgeMs: config.JWKS_MAX_AGE_MS,
    logger: deps.logger,
  });
  return {
    jwks,
    tokens: cachedTokenVerifier(jwks.getKey, { publishes: jwks.publishes }),
    denyList: redisSessionDenyList(deps.redis, config.REDIS_KEY_PREFIX),
    gatewaySecret: config.CLIENT_ADDRESS_SECRET,
  };
}
