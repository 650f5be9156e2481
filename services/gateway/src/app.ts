import { buildApp, type App, type HealthCheck, type Logger } from '@elcorp/kit';
import type { Redis } from 'ioredis';
import type { JWTVerifyGetKey } from 'jose';
import type { GatewayConfig } from './config.js';
import { registerAuthentication } from './http/authenticate.js';
import { registerDocs } from './http/docs.js';
import { registerProxy } from './http/proxy.js';
import { registerIpRateLimit, registerLoginRateLimit, registerUserRateLimit } from './http/rate-limit.js';
import { upstreamHealthChecks } from './http/readiness.js';
import { registerClientAddress, registerSecurity } from './http/security.js';
import { redisRateLimiter } from './infrastructure/rate-limiter.js';
import type { Upstreams } from './infrastructure/upstreams.js';

export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  /** Redis and NATS readiness; the upstreams' are added here. */
  healthChecks: Record<string, HealthCheck>;
  redis: Redis;
  upstreams: Upstreams;
  /** Identity's verification keys (remoteJwks in production). */
  keys: JWTVerifyGetKey;
}

/**
 * The public edge, without listening: main.ts serves it, tests inject into it. The order
 * matters: the proxy is an encapsulated plugin that inherits only the hooks registered
 * before it, and per-user limits need the principal that authentication sets.
 */
export async function buildGatewayApp(deps: GatewayDeps): Promise<App> {
  const { config, redis, upstreams } = deps;
  const app = await buildApp({
    service: 'gateway',
    description: 'The public door: device-bound token verification, rate limits and routing.',
    logger: deps.logger,
    healthChecks: { ...deps.healthChecks, ...upstreamHealthChecks(upstreams) },
    openapiRoute: false,
  });
  app.addHook('onClose', () => upstreams.close());
  const limiter = redisRateLimiter(redis);
  await registerSecurity(app, { config });
  registerClientAddress(app, { config });
  registerIpRateLimit(app, { limiter, config });
  registerAuthentication(app, { redis, config, keys: deps.keys });
  registerUserRateLimit(app, { limiter, config });
  registerLoginRateLimit(app, { limiter, config });
  await registerProxy(app, { upstreams });
  await registerDocs(app, { upstreams });
  return app;
}
