import type { ServiceDefinition } from '@elcorp/kit';
import { buildGatewayApp } from './app.js';
import { loadGatewayConfig, type GatewayConfig } from './config.js';

/** The gateway owns no Postgres schema: Redis (replay cache, deny-list, rate limits) and NATS. */
export const gatewayService: ServiceDefinition<GatewayConfig, never> = {
  name: 'gateway',
  loadConfig: loadGatewayConfig,
  build: ({ logger, infra }) => buildGatewayApp({ logger, healthChecks: infra.healthChecks }),
};
