import type { BrokerNames } from '@elcorp/contracts';
import type { Database } from '@elcorp/db';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { EventConsumer, type ConsumerOptions } from './consumer.js';
import { MessagingMetrics } from './metrics.js';
import { OutboxRelay, type RelayOptions } from './relay.js';
import { ensureStreams } from './streams.js';
import type { MessagingTables } from './tables.js';

type ConsumerSpec<DB extends MessagingTables> = Omit<ConsumerOptions<DB>, 'js' | 'jsm' | 'names' | 'db' | 'logger' | 'metrics'>;

export interface MessagingRuntimeOptions<DB extends MessagingTables> {
  nats: NatsConnection;
  database: Database<DB>;
  schema: string;
  names: BrokerNames;
  /** Per stream; JetStream reserves it on disk. Defaults to contracts' defaultStreamMaxBytes. */
  streamMaxBytes?: number;
  logger: Logger;
  registry?: Registry;
  consumers?: ReadonlyArray<ConsumerSpec<DB>>;
  relay?: Partial<Omit<RelayOptions, 'pool' | 'schema' | 'js' | 'logger' | 'metrics'>>;
}

export interface MessagingRuntime {
  relay: OutboxRelay;
  consumers: ReadonlyArray<EventConsumer<MessagingTables>>;
  stop(): Promise<void>;
}

/**
 * A service's messaging at start: streams ensured, the outbox relay running, its consumers
 * pulling. stop() stops consumers first (finishing the event in hand), then the relay.
 */
export async function startMessaging<DB extends MessagingTables>(options: MessagingRuntimeOptions<DB>): Promise<MessagingRuntime> {
  const jsm = await jetstreamManager(options.nats);
  const js = jetstream(options.nats);
  await ensureStreams(jsm, options.names, options.streamMaxBytes);
  const metrics = new MessagingMetrics(options.registry);
  const relay = new OutboxRelay({
    ...options.relay,
    pool: options.database.pool,
    schema: options.schema,
    js,
    logger: options.logger,
    metrics,
  });
  const consumers = (options.consumers ?? []).map(
    (spec) => new EventConsumer<DB>({ ...spec, js, jsm, names: options.names, db: options.database.db, logger: options.logger, metrics }),
  );
  await relay.start();
  for (const consumer of consumers) await consumer.start();
  return {
    relay,
    consumers: consumers as unknown as ReadonlyArray<EventConsumer<MessagingTables>>,
    async stop() {
      await Promise.all(consumers.map((c) => c.stop()));
      await relay.stop();
    },
  };
}
