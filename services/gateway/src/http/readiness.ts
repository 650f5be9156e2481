import type { HealthCheck } from '@elcorp/kit';
import type { Upstream } from '../domain/routes.js';
import { fetchFrom, type Upstreams } from '../infrastructure/upstreams.js';

/** A readiness probe runs every few seconds: an upstream slower than this counts as down. */
export const upstreamReadyTimeoutMs = 1_000;

/**
 * One kit HealthCheck per upstream (GET <upstream>/health/ready), for buildApp's
 * healthChecks next to Redis and NATS: the gateway is ready when what it routes to is.
 */
export function upstreamHealthChecks(upstreams: Upstreams, timeoutMs = upstreamReadyTimeoutMs): Record<Upstream, HealthCheck> {
  const checks = {} as Record<Upstream, HealthCheck>;
  for (const upstream of upstreams.all()) {
    checks[upstream.name] = async () => {
      const { statusCode } = await fetchFrom(upstream, '/health/ready', { timeoutMs, maxBytes: 64 * 1024 });
      if (statusCode !== 200) throw new Error(`${upstream.name} is not ready (${statusCode})`);
    };
  }
  return checks;
}
