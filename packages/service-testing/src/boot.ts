import { createLogger, openInfrastructure, type App, type HealthCheck, type Logger } from '@elcorp/kit';
import { messagingMigrations, startMessaging, type MessagingTables } from '@elcorp/messaging';
import { testConfig, testNatsPrefix, testSchema } from '@elcorp/testing';
import pg from 'pg';
import type { Test } from 'tap';

/** What every service's build<Name>App takes. */
export interface ServiceDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
}

export interface BootServiceOptions {
  /** Short service name (`payments`); also the prefix of the test schema. */
  service: string;
  build: (deps: ServiceDeps) => Promise<App>;
  /** True for a service that owns a schema: migrate it and run the outbox relay. */
  postgres: boolean;
}

export interface BootedService {
  app: App;
  /** The subject root this test's streams and subjects are named under. */
  subjectRoot: string;
  /** The isolated schema, when the service has Postgres. */
  schema?: string;
  /** Names of the tables in the test schema, sorted; empty without Postgres. */
  tables(): Promise<string[]>;
}

/**
 * JetStream reserves each stream's max_bytes on the shared broker when it is created; with
 * the production default (1 GiB, six streams per root) a few parallel test files would
 * exhaust the server's storage limit. A test publishes a handful of small events.
 */
const testStreamMaxBytes = 8 * 1024 * 1024;

/**
 * Wires a service the way its main.ts does (infrastructure, migrations, app, messaging), on
 * resources of its own so test files can run in parallel, and tears everything down
 * afterwards, last opened first. Nothing listens: tests inject into `app`.
 */
export async function bootService(t: Test, options: BootServiceOptions): Promise<BootedService> {
  const { service, build, postgres } = options;
  const logger = createLogger({ service, level: 'warn' });
  const slice = postgres ? await testSchema(t, service) : undefined;
  // Stream names are the upper-cased root, so the prefix's teardown deletes this test's streams.
  const nats = await testNatsPrefix(t);
  const subjectRoot = nats.prefix.toLowerCase();

  const infra = await openInfrastructure<MessagingTables>({
    service,
    logger,
    ...(slice ? { postgres: { url: slice.url, schema: slice.schema, migrations: [messagingMigrations] } } : {}),
    natsUrl: nats.url,
    redisUrl: testConfig.redisUrl,
  });
  t.teardown(() => infra.close());

  const app = await build({ logger, healthChecks: infra.healthChecks });
  t.teardown(() => app.close());
  if (slice) {
    const messaging = await startMessaging({
      nats: infra.nats!,
      database: infra.database!,
      schema: slice.schema,
      names: { root: subjectRoot },
      streamMaxBytes: testStreamMaxBytes,
      logger,
      registry: app.metrics,
    });
    infra.defer(() => messaging.stop());
  }

  return {
    app,
    subjectRoot,
    ...(slice ? { schema: slice.schema } : {}),
    tables: () => (slice ? tablesIn(slice.url, slice.schema) : Promise.resolve([])),
  };
}

async function tablesIn(url: string, schema: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    return rows.map((row) => row.table_name);
  } finally {
    await client.end();
  }
}
