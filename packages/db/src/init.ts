import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export interface InitDatabaseOptions {
  /** Superuser connection to any database on the server, e.g. postgres://postgres@127.0.0.1:5432/postgres */
  adminUrl: string;
  /** When set, every service role gets this password; otherwise passwords are left alone. */
  password?: string;
  /** One line per step done; defaults to discarding them. */
  log?: (line: string) => void;
  /** Defaults to the repository's infra/postgres/init.sql. */
  sqlPath?: string;
}

export const DATABASE_NAME = 'elcorp';
const DEFAULT_SQL_PATH = fileURLToPath(new URL('../../../infra/postgres/init.sql', import.meta.url));
const CONNECTION_TIMEOUT_MS = 5_000;
// duplicate_database, and unique_violation when two sessions race on pg_database.
const DATABASE_EXISTS_CODES = new Set(['42P04', '23505']);

/** The same server and credentials as `url`, pointing at database `name`. */
export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}

/** Creates database `name` unless it exists; returns whether it created it. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    // CREATE DATABASE takes no parameters and cannot run inside a DO block or transaction.
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return true;
  } catch (err) {
    if (DATABASE_EXISTS_CODES.has((err as { code?: string }).code ?? '')) return false;
    throw err;
  } finally {
    await client.end();
  }
}

/**
 * Creates database elcorp if missing, then runs infra/postgres/init.sql in it: one role and
 * one schema per service. Idempotent and safe to run concurrently.
 */
export async function initDatabase(opts: InitDatabaseOptions): Promise<void> {
  const log = opts.log ?? (() => {});
  const created = await ensureDatabase(opts.adminUrl, DATABASE_NAME);
  log(created ? `created database ${DATABASE_NAME}` : `database ${DATABASE_NAME} exists`);

  const script = await readFile(opts.sqlPath ?? DEFAULT_SQL_PATH, 'utf8');
  const client = new pg.Client({
    connectionString: withDatabase(opts.adminUrl, DATABASE_NAME),
    connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
  });
  // init.sql reports each step as a NOTICE, so psql and this function print the same lines.
  client.on('notice', (notice) => log(notice.message ?? String(notice)));
  await client.connect();
  try {
    if (opts.password !== undefined && opts.password !== '') {
      // A session setting read by init.sql; bound as a parameter so it never appears in SQL text.
      await client.query("SELECT set_config('elcorp.db_password', $1, false)", [opts.password]);
    }
    await client.query(script);
  } finally {
    await client.end();
  }
}
