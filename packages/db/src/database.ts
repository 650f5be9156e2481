import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { assertSchemaName } from './identifier.js';
import { preparingMarkedStatements } from './prepared.js';
import { tracingQueries } from './query-tracing.js';

export interface DatabaseOptions {
  url: string;
  /** The only schema on this pool's search_path. */
  schema: string;
  poolMax?: number;
  statementTimeoutMs?: number;
  connectionTimeoutMs?: number;
  applicationName?: string;
  /** Called for errors on idle connections (server restart, network); they must not crash the process. */
  onError?: (err: Error) => void;
}

export interface Database<DB> {
  db: Kysely<DB>;
  pool: pg.Pool;
  /** Resolves when the server answers a trivial query; for readiness checks. */
  ping(): Promise<void>;
  /** Ends the pool; safe to call more than once. */
  close(): Promise<void>;
}

const DEFAULT_POOL_MAX = 10;
const DEFAULT_STATEMENT_TIMEOUT_MS = 5_000;
const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
// Long enough to reuse connections between bursts, short enough to give them back after.
const IDLE_TIMEOUT_MS = 30_000;

const INT8_OID = 20;
const INT8_ARRAY_OID = 1016;

// Money is stored as int8 minor units; pg's default returns it as a string, and Number
// would lose precision above 2^53. The override is per pool so other pg users in the same
// process (and libraries that expect strings) are unaffected.
function bigintTypes(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, 'text', (value: string) => BigInt(value));
  // Read before overriding: falls through to pg's stock parser (int8[] as string[]).
  const parseTextArray = types.getTypeParser(INT8_ARRAY_OID, 'text') as unknown as (value: string) => unknown;
  types.setTypeParser(INT8_ARRAY_OID, 'text', (value: string) => toBigInts(parseTextArray(value)));
  return types;
}

function toBigInts(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toBigInts);
  return value === null ? null : BigInt(value as string);
}

export function createDatabase<DB>(opts: DatabaseOptions): Database<DB> {
  assertSchemaName(opts.schema);
  // pg lets parameters in the URL override the config object, so a URL carrying its own
  // `options` would silently unpin the search_path.
  if (new URL(opts.url).searchParams.has('options')) {
    throw new Error('database url must not set "options": createDatabase pins search_path itself');
  }
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolMax ?? DEFAULT_POOL_MAX,
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    statement_timeout: opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    // A startup parameter rather than a SET after connect: it applies before the first
    // query on every connection, with no window in which the default path is in effect.
    options: `-c search_path=${opts.schema}`,
    application_name: opts.applicationName,
    types: bigintTypes(),
  });
  // Without a listener an idle client's error is re-thrown by the EventEmitter and kills the process.
  pool.on('error', (err) => opts.onError?.(err));
  // A checked-out client whose connection dies between queries (e.g. mid-transaction) emits
  // 'error' with no pool listener attached; its next query rejects anyway, so this listener
  // only keeps the process alive.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    preparingMarkedStatements(client);
    // After the preparing wrapper, so a query's span also covers it.
    tracingQueries(client);
  });

  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  let closing: Promise<void> | undefined;
  return {
    db,
    pool,
    async ping() {
      await sql`select 1`.execute(db);
    },
    close() {
      closing ??= (async () => {
        // Kysely ends the pool only if it ever ran a query; pg throws if a pool is ended twice.
        await db.destroy();
        if (!pool.ending) await pool.end();
      })();
      return closing;
    },
  };
}
