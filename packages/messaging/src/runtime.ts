import { defaultStreamAges, inboxRetentionMsFor, type BrokerNames, type StreamAges } from '@elcorp/contracts';
import type { Database } from '@elcorp/db';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ConsumerTuning, EventConsumer, SettledOutcome } from './consumer.js';
import { MessagingMetrics } from './metrics.js';
import { OutboxRelay, type RelayOptions } from './relay.js';
import { ensureStreams } from './streams.js';
import { subscriptionConsumer, type Subscription } from './subscriptions.js';
import type { MessagingTables } from './tables.js';

export interface MessagingRuntimeOptions<DB extends MessagingTables> {
  /** The service's name: the first part of its durables' names (`<service>-<type>`). */
  service: string;
  nats: NatsConnection;
  database: Database<DB>;
  schema: string;
  names: BrokerNames;
  /** Per stream; JetStream reserves it on disk. Defaults to contracts' defaultStreamMaxBytes. */
  streamMaxBytes?: number;
  /** How long the streams keep messages; the relay's retention of sent rows and inbox ids follows it. */
  streamAges?: StreamAges;
  logger: Logger;
  registry?: Registry;
  /** Every event type the service handles, declared in one place; one durable each. */
  subscriptions?: ReadonlyArray<Subscription<DB>>;
  /** Applies to every subscription's consumer. */
  consumer?: ConsumerTuning;
  relay?: Partial<Omit<RelayOptions, 'pool' | 'db' | 'schema' | 'js' | 'logger' | 'metrics'>>;
}

/** Observes every event any of the runtime's consumers settles; returns the unsubscribe. */
export type SettledObserver = (listener: (outcome: SettledOutcome) => void) => () => void;

export interface MessagingRuntime {
  relay: OutboxRelay;
  /** The service's messaging metrics: consumers a service starts itself report through them too. */
  metrics: MessagingMetrics;
  consumers: ReadonlyArray<EventConsumer>;
  onSettled: SettledObserver;
  stop(): Promise<void>;
}

/**
 * A service's messaging at start: streams ensured, the outbox relay running, one consumer per
 * subscription pulling. stop() stops consumers first (finishing the batch in hand), then the relay.
 */
export async function startMessaging<DB extends MessagingTables>(options: MessagingRuntimeOptions<DB>): Promise<MessagingRuntime> {
  const subscriptions = options.subscriptions ?? [];
  const types = subscriptions.map((s) => s.type);
  const repeated = types.find((type, i) => types.indexOf(type) !== i);
  if (repeated) throw new Error(`${options.service} subscribes to ${repeated} twice; one handler per type`);

  const jsm = await jetstreamManager(options.nats);
  const js = jetstream(options.nats);
  const ages = options.streamAges ?? defaultStreamAges;
  await ensureStreams(jsm, options.names, options.streamMaxBytes, ages, (stream) =>
    options.logger.warn({ stream }, "stream differs from this service's definition and is not this service's to update; its owner's settings stand (set EVENT_STREAM_* alike across the fleet)"),
  );
  const metrics = new MessagingMetrics(options.registry);
  const relay = new OutboxRelay({
    // A sent row (its payload holds PII) lives no longer than its message on the broker; an
    // inbox remembers an id as long as the event can come back (redelivery, DLQ replay).
    sentRetentionMs: ages.eventMaxAgeMs,
    inboxRetentionMs: inboxRetentionMsFor(ages),
    ...options.relay,
    pool: options.database.pool,
    db: options.database.db,
    schema: options.schema,
    js,
    logger: options.logger,
    metrics,
  });
  const listeners = new Set<(outcome: SettledOutcome) => void>();
  const onSettled = (outcome: SettledOutcome) => {
    for (const listener of listeners) listener(outcome);
  };
  const consumers = subscriptions.map((subscription) =>
    subscriptionConsumer(subscription, {
      ...options.consumer,
      service: options.service,
      js,
      jsm,
      names: options.names,
      db: options.database.db,
      logger: options.logger,
      metrics,
      onSettled,
    }),
  );
  await relay.start();
  for (const consumer of consumers) await consumer.start();
  return {
    relay,
    metrics,
    consumers,
    onSettled(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      await Promise.all(consumers.map((c) => c.stop()));
      await relay.stop();
    },
  };
}
