import type { FastifyInstance } from 'fastify';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * How often prom-client's event-loop delay histogram samples. Its default, 10 ms, wakes an
 * idle process 100 times a second: ~10 ms of CPU per second for nothing (measured on the
 * gateway, 100 ms still cost ~4). Once a second, a long stall still shows (the sample due
 * during it fires late by the stall's length); the share of time the loop was busy, which
 * every stall adds to, is exact in nodejs_eventloop_utilization_ratio below.
 */
export const eventLoopSampleMs = 1_000;

/** One registry per app so tests and several apps in one process never share counters. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: eventLoopSampleMs });
  // Read at scrape time from counters libuv keeps anyway: costs nothing between scrapes.
  let previous: EventLoopUtilization = performance.eventLoopUtilization();
  new Gauge({
    name: 'nodejs_eventloop_utilization_ratio',
    help: 'Share of the time since the previous scrape that the event loop spent running code',
    registers: [registry],
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, previous).utilization);
      previous = now;
    },
  });
  return registry;
}

export function registerMetrics(app: FastifyInstance, registry: Registry, options: { route: boolean } = { route: true }): void {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'http_request_errors_total',
    help: 'HTTP responses with status >= 500 by route',
    labelNames: ['method', 'route'] as const,
    registers: [registry],
  });

  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: ids in paths would explode label cardinality.
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    duration.observe(labels, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) errors.inc({ method: request.method, route });
    done();
  });

  if (!options.route) return;
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
