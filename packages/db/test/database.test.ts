import t from 'tap';
import pg from 'pg';
import { testSchema } from '@elcorp/testing';
import { createDatabase, sql, type Generated } from '../src/index.js';

interface DB {
  accounts: { id: Generated<bigint>; balance_minor: bigint; label: string };
}

t.test('pins search_path to the schema: unqualified names resolve there', async (t) => {
  const { schema, url } = await testSchema(t, 'database');
  const database = createDatabase<DB>({ url, schema, applicationName: 'db-test' });
  t.teardown(() => database.close());

  const { rows } = await sql<{ search_path: string; app: string }>`
    SELECT current_setting('search_path') AS search_path, current_setting('application_name') AS app`.execute(database.db);
  t.same(rows, [{ search_path: schema, app: 'db-test' }]);

  await sql`CREATE TABLE accounts (id bigserial PRIMARY KEY, balance_minor bigint NOT NULL, label text NOT NULL)`.execute(database.db);
  const where = await database.pool.query('SELECT table_schema FROM information_schema.tables WHERE table_name = $1 AND table_schema = $2', ['accounts', schema]);
  t.equal(where.rowCount, 1, 'table created in the test schema');

  // Above 2^53: a JS number would silently round this balance.
  const huge = 9_007_199_254_740_993n;
  await database.db.insertInto('accounts').values({ balance_minor: huge, label: 'vault' }).execute();
  const account = await database.db.selectFrom('accounts').selectAll().executeTakeFirstOrThrow();
  t.equal(account.balance_minor, huge);
  t.equal(typeof account.id, 'bigint');
});

t.test('int8 as bigint, numeric as string, timestamptz as Date, for this pool only', async (t) => {
  const { schema, url } = await testSchema(t, 'database');
  const database = createDatabase({ url, schema });
  t.teardown(() => database.close());

  const { rows } = await database.pool.query(`SELECT 9007199254740993::int8 AS big, NULL::int8 AS none,
    ARRAY[1, NULL, -9007199254740993]::int8[] AS bigs, 125.50::numeric AS amount, now() AS at, 7::int4 AS small`);
  t.same(rows[0].bigs, [1n, null, -9_007_199_254_740_993n]);
  t.equal(rows[0].big, 9_007_199_254_740_993n);
  t.equal(rows[0].none, null);
  t.equal(rows[0].amount, '125.50');
  t.ok(rows[0].at instanceof Date);
  t.equal(rows[0].small, 7);

  const plain = new pg.Client({ connectionString: url });
  await plain.connect();
  t.teardown(() => plain.end());
  const other = await plain.query('SELECT 9007199254740993::int8 AS big');
  t.equal(other.rows[0].big, '9007199254740993', 'pg global parsers untouched');
});

t.test('ping answers, close is idempotent, and a closed pool refuses work', async (t) => {
  const { schema, url } = await testSchema(t, 'database');
  const database = createDatabase({ url, schema });
  await t.resolves(database.ping());
  await database.close();
  await database.close();
  await t.rejects(database.ping());

  // Used only through the raw pool, never through kysely: close must still end it.
  const rawOnly = createDatabase({ url, schema });
  await rawOnly.pool.query('SELECT 1');
  await rawOnly.close();
  t.equal(rawOnly.pool.totalCount, 0, 'no connection left open');
  await t.rejects(rawOnly.pool.query('SELECT 1'), /Cannot use a pool after calling end/);
});

t.test('ping rejects when the server is unreachable, within the connect timeout', async (t) => {
  const database = createDatabase({ url: 'postgres://postgres@127.0.0.1:1/elcorp', schema: 'payments', connectionTimeoutMs: 1_000 });
  t.teardown(() => database.close());
  await t.rejects(database.ping(), { code: 'ECONNREFUSED' });
});

t.test('statement timeout applies to every connection', async (t) => {
  const { schema, url } = await testSchema(t, 'database');
  const database = createDatabase({ url, schema, statementTimeoutMs: 50 });
  t.teardown(() => database.close());
  // query_canceled: the server stops a statement that outlives the pool's limit.
  await t.rejects(database.pool.query('SELECT pg_sleep(5)'), { code: '57014' });
});

t.test('an idle connection dying goes to onError instead of crashing the process', async (t) => {
  const { schema, url } = await testSchema(t, 'database');
  const errors: Error[] = [];
  let reported!: () => void;
  const errorSeen = new Promise<void>((resolve) => (reported = resolve));
  const database = createDatabase({ url, schema, poolMax: 1, onError: (err) => { errors.push(err); reported(); } });
  t.teardown(() => database.close());
  const { rows } = await database.pool.query('SELECT pg_backend_pid() AS pid');

  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  t.teardown(() => admin.end());
  await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
  await errorSeen;
  t.equal(errors.length, 1);
  await t.resolves(database.ping(), 'the pool opens a new connection');
});

t.test('a checked-out connection dying between queries does not crash the process', async (t) => {
  const { schema, url } = await testSchema(t, 'database');
  const database = createDatabase({ url, schema, poolMax: 1 });
  t.teardown(() => database.close());
  // Checked out and idle, as a connection is between two statements of a transaction.
  const client = await database.pool.connect();
  const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
  const ended = new Promise((resolve) => client.once('end', resolve));
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  t.teardown(() => admin.end());
  await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
  await ended;
  await t.rejects(client.query('SELECT 1'), 'the dead connection refuses further queries');
  client.release(true);
  await t.resolves(database.ping(), 'the pool opens a new connection');
});

t.test('rejects schema names that are not plain identifiers', async (t) => {
  const url = 'postgres://postgres@127.0.0.1:5432/elcorp';
  for (const schema of ['Payments', 'pay-ments', '1payments', 'pay ments', 'a'.repeat(64), '', 'x"; DROP SCHEMA y; --']) {
    t.throws(() => createDatabase({ url, schema }), /invalid schema name/, JSON.stringify(schema));
  }
  t.doesNotThrow(() => createDatabase({ url, schema: 'a'.repeat(63) }).close());
});

t.test('rejects a url that would override the pinned search_path', async (t) => {
  t.throws(
    () => createDatabase({ url: 'postgres://postgres@127.0.0.1:5432/elcorp?options=-c%20search_path%3Dpublic', schema: 'payments' }),
    /must not set "options"/,
  );
});
