import type { App } from '@elcorp/kit';
import type { Redis } from 'ioredis';
import type { JWTVerifyGetKey } from 'jose';
import type { GatewayConfig } from '../config.js';
import type { RateLimiter } from '../infrastructure/rate-limiter.js';
import { credentialOf, registerAuthentication } from './authenticate.js';
import { registerIpRateLimit, registerLoginRateLimit } from './rate-limit.js';

export interface AdmissionDeps {
  keys: JWTVerifyGetKey;
  publishes?: (kid: string) => boolean;
  redis: Redis;
  limiter: RateLimiter;
  config: Pick<
    GatewayConfig,
    'PUBLIC_BASE_URL' | 'REDIS_KEY_PREFIX' | 'RATE_LIMIT_PER_IP_PER_MINUTE' | 'RATE_LIMIT_PER_USER_PER_MINUTE' | 'RATE_LIMIT_LOGIN_PER_HOUR'
  >;
}

/**
 * Who may come in, in production order: every request counts against its address, routed
 * ones are authenticated by what their route requires, token-protected ones count against
 * their user, login and MFA attempts against (address, email). A token-protected request
 * asks Redis once for all of it (address, proof replay, deny-list, user): its address is
 * counted by authentication instead of ahead of it. After registerClientAddress.
 */
export function registerAdmission(app: App, deps: AdmissionDeps): void {
  const limits = { limiter: deps.limiter, config: deps.config };
  registerIpRateLimit(app, { ...limits, countedElsewhere: (request) => credentialOf(request) === 'token' });
  registerAuthentication(app, { keys: deps.keys, publishes: deps.publishes, redis: deps.redis, config: deps.config, limits });
  registerLoginRateLimit(app, limits);
}
