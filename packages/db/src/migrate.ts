import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { assertSchemaName, quoteIdent } from './identifier.js';

export interface MigrateOptions {
  pool: pg.Pool;
  schema: string;
  migrationsDir: string;
  /**
   * The table recording this set of migrations. A shared package (e.g. messaging) keeps its
   * own history beside the service's, so each set evolves forward-only on its own.
   */
  historyTable?: string;
  log?: (msg: string, fields?: object) => void;
}

export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

const FILE_NAME = /^(\d{4})_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$/;
// Migrations may rewrite large tables or wait for a peer replica holding the lock, so the
// pool's request-sized statement timeout does not fit; this still bounds a stuck run.
const MIGRATION_STATEMENT_TIMEOUT_MS = 15 * 60_000;

export async function readMigrations(migrationsDir: string): Promise<MigrationFile[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const byVersion = new Map<number, MigrationFile>();
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const match = FILE_NAME.exec(entry.name);
    if (!match) {
      throw new Error(`migration file ${entry.name} in ${migrationsDir} is not named NNNN_snake_name.sql`);
    }
    const version = Number(match[1]);
    const other = byVersion.get(version);
    if (other) {
      throw new Error(`migration files ${other.file} and ${entry.name} share version ${match[1]}`);
    }
    const sql = await readFile(join(migrationsDir, entry.name), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    byVersion.set(version, { version, name: match[2] as string, file: entry.name, sql, checksum });
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

/**
 * Applies pending forward-only migrations. Replicas that start together serialise on a
 * session advisory lock keyed by the schema, so each file runs exactly once.
 */
export async function migrate(opts: MigrateOptions): Promise<{ applied: string[] }> {
  assertSchemaName(opts.schema);
  assertSchemaName(opts.historyTable ?? 'schema_migrations');
  const files = await readMigrations(opts.migrationsDir);
  const schema = quoteIdent(opts.schema);
  const lockKey = `elcorp.migrate.${opts.schema}`;
  const client = await opts.pool.connect();
  // The client is checked out for the whole run; a dropped connection must reject the
  // pending query, not crash the process through an unhandled 'error' event.
  const onClientError = () => {};
  client.on('error', onClientError);
  let broken: Error | undefined;
  try {
    await client.query(`SET statement_timeout = ${MIGRATION_STATEMENT_TIMEOUT_MS}`);
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lockKey]);
    try {
      return { applied: await applyPending(client, schema, opts, files) };
    } finally {
      // If this fails the connection is gone, and with it the session lock; the client is
      // destroyed below either way, so the original outcome stands.
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]).catch(() => {});
    }
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    client.removeListener('error', onClientError);
    // Destroy rather than recycle after a failure (the session may still hold the lock or
    // sit in an aborted transaction) and after success (it carries a changed timeout).
    client.release(broken ?? true);
  }
}

async function applyPending(
  client: pg.PoolClient,
  schema: string,
  opts: MigrateOptions,
  files: MigrationFile[],
): Promise<string[]> {
  // Created under the lock so concurrent first runs do not race on the catalog.
  const history = `${schema}.${quoteIdent(opts.historyTable ?? 'schema_migrations')}`;
  await client.query(`CREATE TABLE IF NOT EXISTS ${history} (
    version int PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await client.query<AppliedRow>(
    `SELECT version, name, checksum FROM ${history} ORDER BY version`,
  );
  verifyApplied(rows, files, opts.migrationsDir);
  const done = new Set(rows.map((row) => row.version));
  const applied: string[] = [];
  for (const file of files) {
    if (done.has(file.version)) continue;
    await applyOne(client, schema, history, file, opts.schema);
    applied.push(file.file);
    opts.log?.('migration applied', { schema: opts.schema, version: file.version, file: file.file });
  }
  return applied;
}

function verifyApplied(rows: AppliedRow[], files: MigrationFile[], dir: string): void {
  const byVersion = new Map(files.map((file) => [file.version, file]));
  for (const row of rows) {
    const file = byVersion.get(row.version);
    const expected = `${String(row.version).padStart(4, '0')}_${row.name}.sql`;
    if (!file) {
      throw new Error(`migration ${expected} was applied but is missing from ${dir}`);
    }
    if (file.name !== row.name) {
      throw new Error(`migration ${file.file} was applied as ${expected}; applied migrations must not be renamed`);
    }
    if (file.checksum !== row.checksum) {
      throw new Error(`migration ${file.file} changed after it was applied (checksum mismatch); add a new migration instead`);
    }
  }
}

async function applyOne(client: pg.PoolClient, schema: string, history: string, file: MigrationFile, schemaName: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL search_path TO ${schema}`);
    // Simple-query protocol (no parameters), so a file may hold several statements.
    await client.query(file.sql);
    await client.query(
      `INSERT INTO ${history} (version, name, checksum) VALUES ($1, $2, $3)`,
      [file.version, file.name, file.checksum],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw new Error(`migration ${file.file} failed in schema ${schemaName}: ${(err as Error).message}`, { cause: err });
  }
}
