import t from 'tap';
import pg from 'pg';
import { testConfig, testSchema, type TestSchema } from '../src/index.js';
import { uniqueSuffix } from '../src/unique.js';

async function query<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query<R>(text, values);
  } finally {
    await client.end();
  }
}

async function schemaExists(url: string, schema: string): Promise<boolean> {
  const { rowCount } = await query(url, 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  return rowCount === 1;
}

t.test('creates a fresh schema and drops it with its tables at teardown', async (t) => {
  let slice: TestSchema | undefined;
  let other: TestSchema | undefined;
  await t.test('a test using a schema', async (t) => {
    slice = await testSchema(t, 'helper');
    other = await testSchema(t, 'helper');
    t.match(slice.schema, /^helper_[0-9a-f]{12}$/);
    t.not(slice.schema, other.schema, 'each call gets its own schema');
    t.match(slice.url, /\/elcorp$/);
    t.match(slice.adminUrl, /\/postgres$/);
    await query(slice.url, `CREATE TABLE "${slice.schema}".thing (id int)`);
    t.equal(await schemaExists(slice.url, slice.schema), true);
  });
  t.ok(slice && other);
  t.equal(await schemaExists(slice!.url, slice!.schema), false, 'schema dropped after the sub-test');
  t.equal(await schemaExists(other!.url, other!.schema), false);
});

t.test('default prefix is t', async (t) => {
  const { schema } = await testSchema(t);
  t.match(schema, /^t_[0-9a-f]{12}$/);
});

t.test('rejects a prefix that is not a plain identifier', async (t) => {
  await t.rejects(testSchema(t, 'Bad-Prefix'), /schema prefix "Bad-Prefix"/);
});

t.test('creates the test database when it is missing', async (t) => {
  const database = `elcorp_test_${uniqueSuffix()}`;
  const url = new URL(testConfig.databaseUrl);
  url.pathname = `/${database}`;
  const adminUrl = new URL(testConfig.databaseUrl);
  adminUrl.pathname = '/postgres';
  const { testSchema: isolated } = await t.mockImport<typeof import('../src/postgres.js')>('../src/postgres.js', {
    '../src/config.js': { testConfig: { ...testConfig, databaseUrl: url.toString() } },
  });
  t.teardown(() => query(adminUrl.toString(), `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));

  await t.test('a test on a database that does not exist yet', async (t) => {
    const slice = await isolated(t, 'fresh');
    t.equal(slice.url, url.toString());
    t.equal(await schemaExists(slice.url, slice.schema), true);
  });
  const { rowCount } = await query(adminUrl.toString(), 'SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  t.equal(rowCount, 1, 'database was created');
});
