import type { FastifyInstance } from 'fastify';

/** A readiness check throws (or rejects) when its dependency cannot serve. */
export type HealthCheck = () => Promise<void>;

export interface HealthOptions {
  checks: Record<string, HealthCheck>;
  checkTimeoutMs: number;
  isShuttingDown: () => boolean;
  /**
   * How long one verdict is reused (0: every probe runs the checks). A public readiness
   * route caches, so a flood of probes costs the dependencies one check per interval.
   */
  cacheMs?: number;
  /** Name each check in the answer (true) or say only ready / not ready (for public ports). */
  exposeChecks?: boolean;
  now?: () => number;
}

interface Verdict {
  ready: boolean;
  report: Record<string, { status: 'up' | 'down'; error?: string }>;
}

function withTimeout(check: HealthCheck, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([check(), timeout]).finally(() => clearTimeout(timer));
}

export function registerHealth(app: FastifyInstance, options: HealthOptions): void {
  const { checks, checkTimeoutMs, isShuttingDown } = options;
  const cacheMs = options.cacheMs ?? 0;
  const now = options.now ?? Date.now;
  const hide = { schema: { hide: true } };
  app.get('/health/live', hide, async () => ({ status: 'ok' }));

  const runChecks = async (): Promise<Verdict> => {
    const names = Object.keys(checks);
    const results = await Promise.allSettled(names.map((name) => withTimeout(checks[name]!, checkTimeoutMs)));
    const report: Verdict['report'] = {};
    results.forEach((result, i) => {
      // The reason goes to the log, not the body: it may name internal hosts.
      if (result.status === 'rejected') app.log.warn({ check: names[i], err: result.reason }, 'readiness check failed');
      report[names[i]!] = result.status === 'fulfilled' ? { status: 'up' } : { status: 'down', error: 'unavailable' };
    });
    return { ready: results.every((r) => r.status === 'fulfilled'), report };
  };
  // Concurrent probes share one run; a finished run is reused for cacheMs.
  let last: { verdict: Promise<Verdict>; at: number } | undefined;
  const verdict = (): Promise<Verdict> => {
    const at = now();
    if (!last || at - last.at >= cacheMs) last = { verdict: runChecks(), at };
    return last.verdict;
  };

  app.get('/health/ready', hide, async (_req, reply) => {
    if (isShuttingDown()) {
      return reply.code(503).send(options.exposeChecks === false ? { status: 'shutting_down' } : { status: 'shutting_down', checks: {} });
    }
    const { ready, report } = await verdict();
    const status = ready ? 'ready' : 'not_ready';
    return reply.code(ready ? 200 : 503).send(options.exposeChecks === false ? { status } : { status, checks: report });
  });
}
