import type { FastifyInstance } from 'fastify';

/** A readiness check throws (or rejects) when its dependency cannot serve. */
export type HealthCheck = () => Promise<void>;

export interface HealthOptions {
  checks: Record<string, HealthCheck>;
  checkTimeoutMs: number;
  isShuttingDown: () => boolean;
}

function withTimeout(check: HealthCheck, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([check(), timeout]).finally(() => clearTimeout(timer));
}

export function registerHealth(app: FastifyInstance, { checks, checkTimeoutMs, isShuttingDown }: HealthOptions): void {
  const hide = { schema: { hide: true } };
  app.get('/health/live', hide, async () => ({ status: 'ok' }));

  app.get('/health/ready', hide, async (_req, reply) => {
    if (isShuttingDown()) {
      return reply.code(503).send({ status: 'shutting_down', checks: {} });
    }
    const names = Object.keys(checks);
    const results = await Promise.allSettled(names.map((name) => withTimeout(checks[name]!, checkTimeoutMs)));
    const report: Record<string, { status: 'up' | 'down'; error?: string }> = {};
    results.forEach((result, i) => {
      // The reason goes to the log, not the body: it may name internal hosts.
      if (result.status === 'rejected') app.log.warn({ check: names[i], err: result.reason }, 'readiness check failed');
      report[names[i]!] = result.status === 'fulfilled' ? { status: 'up' } : { status: 'down', error: 'unavailable' };
    });
    const ready = results.every((r) => r.status === 'fulfilled');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: report });
  });
}
