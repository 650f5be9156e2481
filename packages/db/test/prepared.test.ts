import t from 'tap';
import { testSchema } from '@elcorp/testing';
import { createDatabase, prepared, sql } from '../src/index.js';

t.test('a marked statement is prepared once per connection and answers like any other', async (t) => {
  const { schema, url } = await testSchema(t, 'prepared');
  // One connection, so every statement below meets the same session's prepared statements.
  const database = createDatabase({ url, schema, poolMax: 1 });
  t.teardown(() => database.close());
  const huge = 9_007_199_254_740_993n;

  const sumOf = (a: bigint, b: bigint) => prepared(sql<{ total: bigint }>`SELECT ${a}::int8 + ${b}::int8 AS total`).execute(database.db);
  t.same((await sumOf(huge, 1n)).rows, [{ total: huge + 1n }], 'parameters bind and int8 still parses as bigint');
  t.same((await sumOf(2n, 3n)).rows, [{ total: 5n }], 'the second run binds its own parameters');
  await sql`SELECT 1 AS unmarked`.execute(database.db);

  const { rows } = await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements ORDER BY statement`.execute(database.db);
  t.equal(rows.length, 1, 'one prepared statement for two runs of the marked text, none for the unmarked one');
  t.match(rows[0]?.statement, /^\/\* prepared \*\/ SELECT \$1::int8 \+ \$2::int8 AS total$/);

  await t.rejects(
    prepared(sql`SELECT ${'not a number'}::int8 AS broken`).execute(database.db),
    /invalid input syntax for type bigint/,
    'a failing prepared statement reports the database error',
  );
  t.same((await sumOf(1n, 1n)).rows, [{ total: 2n }], 'and the connection goes on serving');
});
