import { createEvent } from '@elcorp/contracts';
import { slaDecisions } from '../domain/sla.js';
import { dueRequests, markSla, tryLockScheduler } from '../infrastructure/db/sla.repository.js';
import type { GovernanceDeps } from './ports.js';

/** Requests handled per sweep; the rest wait for the next sweep (a limit on every batch). */
export const slaSweepBatchMax = 500;

export interface SweepResult {
  /** False when another replica held the scheduler lock and this sweep did nothing. */
  ran: boolean;
  escalated: number;
  breached: number;
}

/**
 * One sweep of the SLA scheduler: escalations and breaches due now, each announced once.
 * Every replica runs sweeps on a timer; the transaction-scoped advisory lock lets one of
 * them work at a time, and the marks it commits with the events keep the next sweep (on
 * any replica) from announcing them again.
 */
export async function sweepSla(deps: Pick<GovernanceDeps, 'uow' | 'now'>): Promise<SweepResult> {
  const now = deps.now();
  return deps.uow(async (uow) => {
    if (!(await tryLockScheduler(uow.trx))) return { ran: false, escalated: 0, breached: 0 };
    let escalated = 0;
    let breached = 0;
    for (const request of await dueRequests(uow.trx, now, slaSweepBatchMax)) {
      const decisions = slaDecisions(request, now);
      if (decisions.length === 0) continue;
      const deadline = request.slaDeadline!.toISOString();
      for (const decision of decisions) {
        const type = decision.kind === 'escalate' ? 'governance.request.escalated' : 'governance.request.sla_breached';
        uow.record(createEvent(type, { subject: { type: 'request', id: request.id }, actor: null, occurredAt: now, data: { requestId: request.id, slaDeadline: deadline, overdueBy: decision.overdueBy } }));
        if (decision.kind === 'escalate') escalated += 1;
        else breached += 1;
      }
      await markSla(uow.trx, request.id, {
        ...(decisions.some((d) => d.kind === 'escalate') ? { escalatedAt: now } : {}),
        ...(decisions.some((d) => d.kind === 'breach') ? { breachedAt: now } : {}),
      });
    }
    return { ran: true, escalated, breached };
  });
}
