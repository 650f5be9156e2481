import { startService } from '@elcorp/kit';
import { buildGatewayApp } from './app.js';
import { loadGatewayConfig } from './config.js';

// The gateway owns no Postgres schema: Redis (replay cache, deny-list, rate limits) and NATS only.
startService({
  name: 'gateway',
  loadConfig: loadGatewayConfig,
  build: ({ logger, infra }) => buildGatewayApp({ logger, healthChecks: infra.healthChecks }),
});
