import type { RemoteJwks } from '@elcorp/auth';
import { buildApp, type App, type HealthCheck, type Logger } from '@elcorp/kit';
import type { Redis } from 'ioredis';
import type { GatewayConfig } from './config.js';
import { registerAdmission } from './http/admission.js';
import { registerDocs } from './http/docs.js';
import { registerProxy } from './http/proxy.js';
import { gatewayReadinessChecks, readinessCacheMs } from './http/readiness.js';
import { registerClientAddress, registerSecurity } from './http/security.js';
import { redisRateLimiter } from './infrastructure/rate-limiter.js';
import type { Upstreams } from './infrastructure/upstreams.js';

export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  /** Readiness of Redis (kit infrastructure); the JWKS check is added here, nothing else. */
  redisHealth: HealthCheck | undefined;
  redis: Redis;
  upstreams: Upstreams;
  /** Identity's verification keys, fetched and cached (remoteJwks). */
  jwks: Pick<RemoteJwks, 'getKey' | 'ensureLoaded' | 'publishes'>;
}

/**
 * The public edge, without listening: main.ts serves it, tests inject into it. The order
 * matters: the proxy is an encapsulated plugin that inherits only the hooks registered
 * before it, and per-user limits need the principal that authentication sets. `/metrics`
 * and upstream health are not here: they are on the internal listener (http/internal.ts).
 */
export async function buildGatewayApp(deps: GatewayDeps): Promise<App> {
  const { config, redis, upstreams } = deps;
  const app = await buildApp({
    service: 'gateway',
    description: 'The public door: device-bound token verification, rate limits and routing.',
    logger: deps.logger,
    healthChecks: gatewayReadinessChecks({ redis: deps.redisHealth, jwks: deps.jwks }),
    // Public: ready or not, nothing about what is inside; cached so probes cannot fan out.
    readiness: { cacheMs: readinessCacheMs, exposeChecks: false },
    metricsRoute: false,
    openapiRoute: false,
  });
  app.addHook('onClose', () => upstreams.close());
  const limiter = redisRateLimiter(redis);
  await registerSecurity(app, { config });
  registerClientAddress(app, { config });
  registerAdmission(app, { limiter, redis, config, keys: deps.jwks.getKey, publishes: deps.jwks.publishes });
  await registerProxy(app, { upstreams, clientAddressSecret: config.CLIENT_ADDRESS_SECRET });
  await registerDocs(app, { upstreams });
  return app;
}
