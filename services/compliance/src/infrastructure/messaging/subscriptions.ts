import { eventSources, sourceSubjects, streamName, type BrokerNames } from '@elcorp/contracts';
import { EventConsumer, type MessagingMetrics, type SettledOutcome } from '@elcorp/messaging';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from '@elcorp/kit';
import type { ComplianceDeps } from '../../application/ports.js';
import type { AuditMetrics } from '../audit-metrics.js';
import { auditSink } from './audit-sink.js';

/** Events appended per transaction (the consumer caps it at its largest batch, 256). */
const auditBatchSize = 256;

/**
 * The audit log consumes the whole fleet: one durable per context's stream, filtered on the
 * stream's every subject, each batch appended in one transaction and one tree update. (Typed
 * per-type subscriptions would mean one durable per event type and a transaction per type.)
 */
export function auditConsumers(
  deps: ComplianceDeps,
  options: {
    js: JetStreamClient;
    jsm: JetStreamManager;
    names: BrokerNames;
    logger: Logger;
    /** The service's messaging metrics, so the audit durables show on /metrics (processed, lag, dead letters). */
    metrics?: MessagingMetrics;
    audit?: AuditMetrics;
    onSettled?: (outcome: SettledOutcome) => void;
  },
): EventConsumer[] {
  const sink = auditSink(deps, options.audit);
  return eventSources.map(
    (source) =>
      new EventConsumer({
        js: options.js,
        jsm: options.jsm,
        names: options.names,
        logger: options.logger,
        stream: streamName(options.names, source.toUpperCase()),
        durable: `compliance-audit-${source}`,
        filterSubject: sourceSubjects(options.names, source),
        sink,
        batchSize: auditBatchSize,
        ...(options.metrics ? { metrics: options.metrics } : {}),
        ...(options.onSettled ? { onSettled: options.onSettled } : {}),
      }),
  );
}
