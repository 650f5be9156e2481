import type { RemoteJwks } from '@elcorp/auth';
import type { HealthCheck } from '@elcorp/kit';
import type { Upstream } from '../domain/routes.js';
import { fetchFrom, type Upstreams } from '../infrastructure/upstreams.js';

/** An upstream slower than this to answer its readiness counts as down. */
export const upstreamReadyTimeoutMs = 1_000;

/** How long one readiness verdict is reused: a flood of probes costs Redis one PING a second. */
export const readinessCacheMs = 1_000;

/**
 * The gateway's readiness: its own dependencies only. Redis (no replay or revocation check
 * without it, so every token-protected request would be refused) and a loaded JWKS (no token
 * verifies without it). Never an upstream: one service down answers 503 on its own routes
 * while the gateway stays in the load balancer. Never NATS: revocations also arrive through
 * identity's direct deny-list write, and the listener catches up when NATS returns.
 */
export function gatewayReadinessChecks(deps: { redis: HealthCheck | undefined; jwks: Pick<RemoteJwks, 'ensureLoaded'> }): Record<string, HealthCheck> {
  return {
    ...(deps.redis ? { redis: deps.redis } : {}),
    jwks: () => deps.jwks.ensureLoaded(),
  };
}

/** One probe per upstream (GET <upstream>/health/ready), for the operators' /health/upstreams. */
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

export interface UpstreamHealth {
  status: 'up' | 'down';
  /** The upstream's circuit breaker as the proxy sees it. */
  circuit: string;
}

/** Each upstream's readiness and circuit, probed in parallel; the reasons go to the log. */
export async function upstreamHealthReport(upstreams: Upstreams, log: { warn(details: object, message: string): void }, timeoutMs = upstreamReadyTimeoutMs): Promise<Record<string, UpstreamHealth>> {
  const checks = upstreamHealthChecks(upstreams, timeoutMs);
  const names = Object.keys(checks) as Upstream[];
  const results = await Promise.allSettled(names.map((name) => checks[name]()));
  const report: Record<string, UpstreamHealth> = {};
  results.forEach((result, i) => {
    const name = names[i]!;
    if (result.status === 'rejected') log.warn({ upstream: name, err: { message: (result.reason as Error).message } }, 'upstream not ready');
    report[name] = { status: result.status === 'fulfilled' ? 'up' : 'down', circuit: upstreams.get(name).circuit.state };
  });
  return report;
}
