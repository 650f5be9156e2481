import { catalogue, eventSources, streamName, type BrokerNames, type EventType } from '@elcorp/contracts';
import { appendToOutbox, openUnitOfWork, type EventHandler } from '@elcorp/messaging';
import type { ComplianceDeps } from '../../application/ports.js';
import { appendEvents } from '../../application/append-events.js';
import type { ComplianceDB } from '../db/schema.js';

/**
 * One durable per stream, each reading every event type of its context: the audit log
 * consumes the whole fleet. appendEvents takes a batch; until the platform's batched
 * consumers land, each delivery is a batch of one.
 */
export function auditConsumers(deps: Pick<ComplianceDeps, 'keys' | 'now'>, names: BrokerNames) {
  const handle: EventHandler<ComplianceDB> = async (event, trx) => {
    const { uow, close } = openUnitOfWork(trx);
    await appendEvents(deps, uow, [event]);
    await appendToOutbox(trx, names, close());
  };
  return eventSources.map((source) => ({
    stream: streamName(names, source.toUpperCase()),
    durable: `compliance-audit-${source}`,
    types: [...new Set(catalogue.filter((d) => d.source === source).map((d) => d.type))] as EventType[],
    handle,
  }));
}
