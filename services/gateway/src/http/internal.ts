import type { App, Logger } from '@elcorp/kit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Upstreams } from '../infrastructure/upstreams.js';
import { upstreamHealthReport } from './readiness.js';

export interface InternalAppDeps {
  logger: Logger;
  /** The public app's registry (app.metrics): what it measured, served here instead. */
  metrics: App['metrics'];
  upstreams: Upstreams;
}

/**
 * The operators' listener (INTERNAL_HOST:INTERNAL_PORT, loopback by default): `/metrics` for
 * Prometheus and `/health/upstreams` for whoever watches the services behind the gateway.
 * Neither is on the public port: the metrics describe internals, and the upstream report
 * fans out to every service, so a public client must not be able to call it in a loop.
 * `/health/upstreams` always answers 200: it is a report, not a readiness signal.
 */
export function buildInternalApp(deps: InternalAppDeps): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, requestTimeout: 10_000, connectionTimeout: 10_000, forceCloseConnections: true });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.metrics.contentType);
    return deps.metrics.metrics();
  });
  app.get('/health/upstreams', async (request) => ({ upstreams: await upstreamHealthReport(deps.upstreams, request.log) }));
  return app;
}
