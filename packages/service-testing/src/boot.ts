import { openService, type App, type RuntimeConfig, type ServiceDefinition } from '@elcorp/kit';
import { testConfig, testNatsPrefix, testSchema } from '@elcorp/testing';
import pg from 'pg';
import type { Test } from 'tap';

export interface BootedService {
  app: App;
  /** The subject root this test's streams and subjects are named under. */
  subjectRoot: string;
  /** The isolated schema, when the service has Postgres. */
  schema?: string;
  /** The opened infrastructure; `messagingOf(infra)` (@elcorp/messaging) gives the service's messaging runtime. */
  infra: object;
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
 * Opens a service exactly as its main.ts does (openService: config, infrastructure,
 * migrations, app, messaging), but on resources of its own so test files can run in
 * parallel, and closes it at teardown. Nothing listens: tests inject into `app`.
 */
export async function bootService<C extends RuntimeConfig, DB>(
  t: Test,
  definition: ServiceDefinition<C, DB>,
  env: Record<string, string> = {},
): Promise<BootedService> {
  const slice = definition.migrations ? await testSchema(t, definition.name) : undefined;
  // Stream names are the upper-cased root, so the prefix's teardown deletes this test's streams.
  const nats = await testNatsPrefix(t);
  const subjectRoot = nats.prefix.toLowerCase();
  const { app, infra } = await openService(definition, {
    LOG_LEVEL: 'warn',
    NATS_URL: nats.url,
    REDIS_URL: testConfig.redisUrl,
    EVENT_SUBJECT_ROOT: subjectRoot,
    EVENT_STREAM_MAX_BYTES: String(testStreamMaxBytes),
    ...(slice ? { DATABASE_URL: slice.url, DATABASE_SCHEMA: slice.schema } : {}),
    ...env,
  });
  t.teardown(() => app.close());
  return {
    app,
    infra,
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
