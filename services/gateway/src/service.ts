import { remoteJwks } from '@elcorp/auth';
import type { ServiceDefinition } from '@elcorp/kit';
import { followKeyWithdrawals } from '@elcorp/messaging';
import type { AddressInfo } from 'node:net';
import { buildGatewayApp } from './app.js';
import { loadGatewayConfig, type GatewayConfig } from './config.js';
import { buildInternalApp } from './http/internal.js';
import { denySession, startRevocationConsumer } from './infrastructure/revocations.js';
import { openUpstreams, upstreamsOptionsFrom } from './infrastructure/upstreams.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Where the operators' listener (/metrics, /health/upstreams) is bound: `http://host:port`. */
    internalUrl?: string;
  }
}

/** The gateway owns no Postgres schema: Redis (replay cache, deny-list, rate limits) and NATS. */
export const gatewayService: ServiceDefinition<GatewayConfig, never> = {
  name: 'gateway',
  loadConfig: loadGatewayConfig,
  build: async ({ config, logger, infra }) => {
    const redis = infra.redis!;
    const upstreams = openUpstreams(upstreamsOptionsFrom(config));
    const jwks = remoteJwks({
      url: `${config.IDENTITY_URL.replace(/\/+$/, '')}/.well-known/jwks.json`,
      refreshMinIntervalMs: config.JWKS_REFRESH_MIN_INTERVAL_MS,
      fetchTimeoutMs: config.JWKS_FETCH_TIMEOUT_MS,
      maxAgeMs: config.JWKS_MAX_AGE_MS,
      logger,
    });
    const app = await buildGatewayApp({ config, logger, redisHealth: infra.healthChecks['redis'], redis, upstreams, jwks });
    // Fetched now so the gateway is usually ready when it starts listening; identity may
    // still be starting, in which case readiness fetches again.
    await jwks.ensureLoaded().catch(() => undefined);
    const internal = buildInternalApp({ logger, metrics: app.metrics, upstreams });
    await internal.listen({ host: config.INTERNAL_HOST, port: config.INTERNAL_PORT });
    const { address, port } = internal.server.address() as AddressInfo;
    app.decorate('internalUrl', `http://${address.includes(':') ? `[${address}]` : address}:${port}`);
    infra.defer(() => internal.close(), 'internal listener');
    // Revocations also arrive as events, so a session ended anywhere is refused here at once.
    const revocations = await startRevocationConsumer({
      nats: infra.nats!,
      subjectRoot: config.EVENT_SUBJECT_ROOT,
      logger,
      deny: (sessionId) => denySession(redis, config.REDIS_KEY_PREFIX, sessionId),
    });
    infra.defer(() => revocations.stop(), 'revocation listener');
    // A withdrawn signing key stops verifying here the moment identity announces it.
    await followKeyWithdrawals({ infra, names: { root: config.EVENT_SUBJECT_ROOT }, keys: jwks, logger });
    return app;
  },
};
