import pg from 'pg';
import type { Test } from 'tap';
import { testConfig } from './config.js';
import { uniqueSuffix } from './unique.js';

export interface TestSchema {
  /** A fresh schema, dropped with everything in it when the test ends. */
  schema: string;
  /** Superuser connection to the test database; pair it with `schema` (search_path). */
  url: string;
  /** Superuser connection to the server's `postgres` maintenance database. */
  adminUrl: string;
}

const PREFIX = /^[a-z_][a-z0-9_]{0,40}$/;
const CONNECTION_TIMEOUT_MS = 5_000;
// duplicate_database, and unique_violation when two test files race on pg_database.
const DATABASE_EXISTS_CODES = new Set(['42P04', '23505']);

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

// Tests assume `pnpm db:init` ran, but a bare server should still work for schema-only tests.
async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return;
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((err: { code?: string }) => {
      if (!DATABASE_EXISTS_CODES.has(err.code ?? '')) throw err;
    });
  });
}

/** Creates a uniquely named schema for this test and drops it (CASCADE) at teardown. */
export async function testSchema(t: Test, prefix = 't'): Promise<TestSchema> {
  if (!PREFIX.test(prefix)) throw new Error(`schema prefix ${JSON.stringify(prefix)} must match ${PREFIX.source}`);
  const url = testConfig.databaseUrl;
  const adminUrl = withDatabase(url, 'postgres');
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  await ensureDatabase(adminUrl, database);

  const schema = `${prefix}_${uniqueSuffix()}`;
  await withClient(url, (client) => client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`));
  t.teardown(() =>
    withClient(url, async (client) => {
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    }),
  );
  return { schema, url, adminUrl };
}
