import type { Logger } from '@elcorp/kit';
import { voidExpiredTransfers } from '../application/approvals.js';
import { purgeIdempotencyKeys } from '../application/idempotency.js';
import { markOverdueInvoices } from '../application/invoices.js';
import type { PaymentsDeps } from '../application/ports.js';
import { reconcileIfDue } from '../application/reconciliation.js';
import { compactDeltas } from './db/ledger.js';

interface Job {
  name: string;
  everyMs: number;
  run: () => Promise<unknown>;
}

/**
 * The background work every replica runs. Each job is safe on several replicas at once:
 * SKIP LOCKED (expiry), an advisory lock (overdue sweep, daily reconciliation), or work that
 * is harmless to repeat (compaction, purging). A job never overlaps itself on one replica.
 */
export function startSchedules(deps: PaymentsDeps, logger: Logger): () => Promise<void> {
  const jobs: Job[] = [
    { name: 'void expired transfers', everyMs: 10_000, run: () => voidExpiredTransfers(deps) },
    { name: 'flag overdue invoices', everyMs: 60_000, run: () => markOverdueInvoices(deps) },
    { name: 'daily reconciliation', everyMs: 60 * 60_000, run: () => reconcileIfDue(deps) },
    { name: 'compact balance deltas', everyMs: 30_000, run: () => compactDeltas(deps.db, { minDeltas: 100, accountsMax: 50 }) },
    { name: 'purge idempotency keys', everyMs: 60 * 60_000, run: () => purgeIdempotencyKeys(deps) },
  ];
  const running = new Set<Promise<unknown>>();
  const timers = jobs.map((job) => {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      const run = job
        .run()
        .catch((err: unknown) => logger.warn({ err, job: job.name }, 'scheduled job failed'))
        .finally(() => {
          busy = false;
          running.delete(run);
        });
      running.add(run);
    }, job.everyMs);
    timer.unref();
    return timer;
  });
  return async () => {
    for (const timer of timers) clearInterval(timer);
    await Promise.allSettled([...running]);
  };
}
