import { catalogue, eventSources, streamName, type BrokerNames, type EventType } from '@elcorp/contracts';
import type { EventHandler } from '@elcorp/messaging';
import type { ComplianceDeps } from '../../application/ports.js';
import type { ComplianceDB } from '../db/schema.js';
import { auditSink } from './audit-sink.js';

/**
 * One durable per stream, each reading every event type of its context: the audit log
 * consumes the whole fleet. The log is its own inbox (event ids are unique in it), so each
 * delivery is appended in its own unit of work and a redelivery is a no-op. Until the
 * platform's batched consumers land, each delivery is a batch of one.
 */
export function auditConsumers(deps: ComplianceDeps, names: BrokerNames) {
  const sink = auditSink(deps);
  const handle: EventHandler<ComplianceDB> = async (event) => {
    await sink.apply([{ event }]);
  };
  return eventSources.map((source) => ({
    stream: streamName(names, source.toUpperCase()),
    durable: `compliance-audit-${source}`,
    types: [...new Set(catalogue.filter((d) => d.source === source).map((d) => d.type))] as EventType[],
    handle,
  }));
}
