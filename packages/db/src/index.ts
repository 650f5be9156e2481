export { createDatabase } from './database.js';
export type { Database, DatabaseOptions } from './database.js';
export { migrate, readMigrations } from './migrate.js';
export type { MigrateOptions, MigrationFile } from './migrate.js';
export { initDatabase, ensureDatabase, withDatabase, DATABASE_NAME } from './init.js';
export type { InitDatabaseOptions } from './init.js';
export { assertSchemaName } from './identifier.js';
export { prepared, preparedMarker } from './prepared.js';
export { queryTracerName } from './query-tracing.js';

// Services import kysely through @elcorp/db so the whole fleet shares one kysely version.
export { CompiledQuery, Kysely, Transaction, sql } from 'kysely';
export type {
  ColumnType,
  Generated,
  GeneratedAlways,
  Insertable,
  Selectable,
  Updateable,
  Selection,
  Compilable,
  RawBuilder,
  KyselyPlugin,
} from 'kysely';
export type { Pool, PoolClient, QueryResult } from 'pg';
