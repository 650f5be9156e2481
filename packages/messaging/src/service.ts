import { hoursToMs } from '@elcorp/contracts';
import type { Database } from '@elcorp/db';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { startMessaging, type MessagingRuntime, type MessagingRuntimeOptions } from './runtime.js';
import type { Subscription } from './subscriptions.js';
import type { MessagingTables } from './tables.js';

/** The configuration variables messaging reads (kit's baseConfigShape and a schema). */
export interface MessagingConfig {
  DATABASE_SCHEMA: string;
  EVENT_SUBJECT_ROOT: string;
  EVENT_STREAM_MAX_BYTES: number;
  EVENT_STREAM_MAX_AGE_HOURS: number;
  EVENT_DLQ_MAX_AGE_HOURS: number;
}

/** The part of the kit's Infrastructure messaging needs, structurally. */
export interface MessagingInfrastructure<DB> {
  nats?: NatsConnection;
  database?: Database<DB>;
  defer(closer: () => Promise<void>, name?: string): void;
}

export interface AttachOptions<DB extends MessagingTables> {
  config: MessagingConfig;
  logger: Logger;
  infra: MessagingInfrastructure<DB>;
  registry: Registry;
  /** Names the durables (`<service>-<type>`); required with subscriptions. */
  service?: string;
  /** The service's subscriptions, declared in one place (src/infrastructure/messaging/subscriptions.ts). */
  subscriptions?: ReadonlyArray<Subscription<DB>>;
  consumer?: MessagingRuntimeOptions<DB>['consumer'];
}

const runtimes = new WeakMap<object, MessagingRuntime>();

/** The runtime attachMessaging started on this infrastructure: tests observe settlements through it. */
export function messagingOf(infra: object): MessagingRuntime | undefined {
  return runtimes.get(infra);
}

/**
 * Starts a service's relay and consumers on its opened infrastructure, and registers their
 * stop before the connections close. Every service with a schema calls this from its build.
 */
export async function attachMessaging<DB extends MessagingTables>(options: AttachOptions<DB>): Promise<MessagingRuntime> {
  const { config, logger, infra, registry } = options;
  if (!infra.nats || !infra.database) throw new Error('messaging needs the service to open NATS and Postgres');
  const subscriptions = options.subscriptions ?? [];
  if (subscriptions.length > 0 && !options.service) throw new Error('subscriptions need the service name for their durables');
  const runtime = await startMessaging<DB>({
    service: options.service ?? '',
    nats: infra.nats,
    database: infra.database,
    schema: config.DATABASE_SCHEMA,
    names: { root: config.EVENT_SUBJECT_ROOT },
    streamMaxBytes: config.EVENT_STREAM_MAX_BYTES,
    streamAges: { eventMaxAgeMs: hoursToMs(config.EVENT_STREAM_MAX_AGE_HOURS), deadLetterMaxAgeMs: hoursToMs(config.EVENT_DLQ_MAX_AGE_HOURS) },
    logger,
    registry,
    subscriptions,
    ...(options.consumer ? { consumer: options.consumer } : {}),
  });
  infra.defer(() => runtime.stop(), 'messaging relay and consumers');
  runtimes.set(infra, runtime);
  return runtime;
}
