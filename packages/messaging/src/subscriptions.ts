import { eventSubject, streamName, type BrokerNames, type DomainEvent, type EventSource, type EventType } from '@elcorp/contracts';
import type { Kysely } from '@elcorp/db';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { EventConsumer, type ConsumerTuning, type SettledOutcome } from './consumer.js';
import { inboxSink } from './inbox-sink.js';
import type { MessagingMetrics } from './metrics.js';
import type { MessagingTables } from './tables.js';
import type { UnitOfWork } from './unit-of-work.js';

/**
 * What a service does with one event type. The handler runs in the consumer's batch
 * transaction under its own savepoint; events it records on `uow` commit with its effect and
 * its inbox row, or vanish with them.
 */
export interface Subscription<DB> {
  readonly type: EventType;
  readonly handle: (event: DomainEvent, uow: UnitOfWork<DB>) => Promise<void>;
}

/** Subscribes a typed handler to one event type: it receives exactly that type's event. */
export function on<DB, T extends EventType>(type: T, handle: (event: DomainEvent<T>, uow: UnitOfWork<DB>) => Promise<void>): Subscription<DB> {
  // The consumer delivers only events it parsed whose type is the subject it filters on,
  // i.e. `type`; this is the one place that knowledge narrows the event.
  return { type, handle: (event, uow) => handle(event as DomainEvent<T>, uow) };
}

/** Narrows a parsed event to one type (what `on` does for a handler), e.g. in a sink without a UnitOfWork. */
export function isEventOf<T extends EventType>(event: DomainEvent, type: T): event is DomainEvent<T> {
  return event.type === type;
}

/** The context (stream) that produces a type: the first segment of its name. */
export function sourceOf(type: EventType): EventSource {
  return type.split('.')[0] as EventSource;
}

/**
 * One durable per (service, type), shared by every replica of the service. NATS 2.9 (the
 * machine's server, and Debian's) allows one filter_subject per consumer, so a durable that
 * filters on its type's subject is the only way the server skips other types for us; a
 * durable reading the whole stream would fetch, parse and ack every event it ignores.
 */
export function durableName(service: string, type: EventType): string {
  return `${service}-${type.replace(/\./g, '-')}`;
}

export interface SubscriptionConsumerDeps<DB extends MessagingTables> extends ConsumerTuning {
  service: string;
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: BrokerNames;
  db: Kysely<DB>;
  logger: Logger;
  metrics?: MessagingMetrics;
  onSettled?: (outcome: SettledOutcome) => void;
}

/** The consumer that applies one subscription through the service's inbox. */
export function subscriptionConsumer<DB extends MessagingTables>(subscription: Subscription<DB>, deps: SubscriptionConsumerDeps<DB>): EventConsumer {
  const { service, db, ...rest } = deps;
  const durable = durableName(service, subscription.type);
  return new EventConsumer({
    ...rest,
    stream: streamName(deps.names, sourceOf(subscription.type).toUpperCase()),
    durable,
    filterSubject: eventSubject(deps.names, subscription.type),
    sink: inboxSink({ db, names: deps.names, consumer: durable, handle: subscription.handle }),
  });
}
