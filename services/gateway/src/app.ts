import type { RemoteJwks } from '@elcorp/auth';
import { buildApp, ConfigError, type App, type HealthCheck, type Logger } from '@elcorp/kit';
import type { Redis } from 'ioredis';
import type { GatewayConfig } from './config.js';
import { parseTrustedProxies } from './domain/client-address.js';
import { clientConnectionsMax } from './domain/client-connections.js';
import { limitClientConnections } from './http/client-connections.js';
import { registerAdmission } from './http/admission.js';
import { registerDocs } from './http/docs.js';
import { registerProxy } from './http/proxy.js';
import { gatewayReadinessChecks, readinessCacheMs } from './http/readiness.js';
import { registerClientAddress, registerSecurity } from './http/security.js';
import { openFilesLimit } from './infrastructure/open-files-limit.js';
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
  /** The process's open-files limit; read from /proc/self/limits unless given (tests). */
  openFilesLimit?: number;
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
  limitClientConnections(app.server, {
    total: clientConnectionsBudget(deps),
    perAddress: config.CLIENT_CONNECTIONS_PER_ADDRESS_MAX,
    trusted: parseTrustedProxies(config.TRUST_PROXY),
    metrics: app.metrics,
    logger: deps.logger,
  });
  const limiter = redisRateLimiter(redis);
  await registerSecurity(app, { config });
  registerClientAddress(app, { config });
  registerAdmission(app, { limiter, redis, config, keys: deps.jwks.getKey, publishes: deps.jwks.publishes });
  await registerProxy(app, { upstreams, clientAddressSecret: config.CLIENT_ADDRESS_SECRET });
  await registerDocs(app, { upstreams });
  return app;
}

/** CLIENT_CONNECTIONS_MAX, lowered to what the open-files limit leaves (domain/client-connections.ts). */
function clientConnectionsBudget({ config, upstreams, logger, ...deps }: GatewayDeps): number {
  const limit = deps.openFilesLimit ?? openFilesLimit();
  const upstreamConnections = upstreams.all().length * config.UPSTREAM_CONNECTIONS_MAX;
  const total = clientConnectionsMax({ configuredMax: config.CLIENT_CONNECTIONS_MAX, openFilesLimit: limit, upstreamConnections });
  if (total === undefined) {
    throw new ConfigError([{ variable: 'UPSTREAM_CONNECTIONS_MAX', message: `the open-files limit (${limit}) leaves no descriptor for clients beside ${upstreamConnections} upstream connections; raise \`ulimit -n\`` }]);
  }
  if (total < config.CLIENT_CONNECTIONS_MAX) logger.warn({ openFilesLimit: limit, clientConnectionsMax: total }, 'client connections lowered to what the open-files limit leaves');
  return total;
}
