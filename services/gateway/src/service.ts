import type { ServiceDefinition } from '@elcorp/kit';
import { buildGatewayApp } from './app.js';
import { loadGatewayConfig, type GatewayConfig } from './config.js';
import { remoteJwks } from './infrastructure/jwks.js';
import { denySession, startRevocationConsumer } from './infrastructure/revocations.js';
import { openUpstreams, upstreamsOptionsFrom } from './infrastructure/upstreams.js';

/** The gateway owns no Postgres schema: Redis (replay cache, deny-list, rate limits) and NATS. */
export const gatewayService: ServiceDefinition<GatewayConfig, never> = {
  name: 'gateway',
  loadConfig: loadGatewayConfig,
  build: async ({ config, logger, infra }) => {
    const redis = infra.redis!;
    const app = await buildGatewayApp({
      config,
      logger,
      healthChecks: infra.healthChecks,
      redis,
      upstreams: openUpstreams(upstreamsOptionsFrom(config)),
      keys: remoteJwks({
        url: `${config.IDENTITY_URL.replace(/\/+$/, '')}/.well-known/jwks.json`,
        refreshMinIntervalMs: config.JWKS_REFRESH_MIN_INTERVAL_MS,
        fetchTimeoutMs: config.JWKS_FETCH_TIMEOUT_MS,
        maxAgeMs: config.JWKS_MAX_AGE_MS,
        logger,
      }),
    });
    // Revocations also arrive as events, so a session ended anywhere is refused here at once.
    const revocations = await startRevocationConsumer({
      nats: infra.nats!,
      subjectRoot: config.EVENT_SUBJECT_ROOT,
      logger,
      deny: (sessionId) => denySession(redis, config.REDIS_KEY_PREFIX, sessionId),
    });
    infra.defer(() => revocations.stop());
    return app;
  },
};
