import type { DomainEvent } from '@elcorp/contracts';
import { appendEvents } from '../../application/append-events.js';
import type { ComplianceDeps } from '../../application/ports.js';
import type { AuditMetrics } from '../audit-metrics.js';

/**
 * The audit log as a consumer sink: a whole pulled batch appended in one transaction with
 * one tree update. The log is its own inbox (event ids are unique in it), so a redelivered
 * event answers `duplicate` and nothing else records deliveries. A failure fails the batch,
 * and the consumer offers all of it again.
 */
export function auditSink(deps: ComplianceDeps, metrics?: AuditMetrics) {
  return {
    async apply(batch: ReadonlyArray<{ event: DomainEvent }>): Promise<Array<{ kind: 'applied' | 'duplicate' }>> {
      const timer = metrics?.appendSeconds.startTimer();
      const { appendedIds } = await deps.uow((uow) => appendEvents(deps, uow, batch.map((d) => d.event)));
      timer?.();
      metrics?.batchSize.observe(batch.length);
      metrics?.appended.inc(appendedIds.size);
      const seen = new Set<string>();
      return batch.map(({ event }) => {
        const first = !seen.has(event.id);
        seen.add(event.id);
        return { kind: first && appendedIds.has(event.id) ? 'applied' : 'duplicate' };
      });
    },
  };
}
