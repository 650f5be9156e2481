import t from 'tap';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import type { Test } from 'tap';
import { testConfig } from '@elcorp/testing';
import { ensureDatabase, initDatabase, withDatabase } from '../src/index.js';
import { randomBytes } from 'node:crypto';

// The roles and schemas are the real, shared ones (init is idempotent and serialised);
// only the tables this file creates are its own, under unique names.
const adminUrl = withDatabase(testConfig.databaseUrl, 'postgres');
const superuserUrl = withDatabase(testConfig.databaseUrl, 'elcorp');
const table = `roles_test_${randomBytes(6).toString('hex')}`;

function asRole(role: string): string {
  const url = new URL(superuserUrl);
  url.username = role;
  url.password = '';
  return url.toString();
}

async function connect(t: Test, url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.teardown(() => client.end());
  return client;
}

t.before(async () => {
  await initDatabase({ adminUrl });
});

t.test('init is idempotent and reports each step', async (t) => {
  const lines: string[] = [];
  await initDatabase({ adminUrl, log: (line) => lines.push(line) });
  t.equal(lines[0], 'database elcorp exists');
  for (const service of ['identity', 'payments', 'governance', 'compliance']) {
    t.ok(lines.includes(`role elcorp_${service} exists`), `role elcorp_${service} kept`);
    t.ok(lines.includes(`schema ${service} exists, owned by elcorp_${service}`));
    t.ok(lines.includes(`granted connect on database elcorp to elcorp_${service}`));
  }
  t.notOk(lines.some((line) => line.includes('password')), 'passwords left alone without one');
});

t.test('a service role owns its schema and nothing else', async (t) => {
  const admin = await connect(t, superuserUrl);
  const payments = await connect(t, asRole('elcorp_payments'));

  const role = await payments.query('SELECT current_user AS who, current_setting($1) AS path, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user', ['search_path']);
  t.same(role.rows[0], { who: 'elcorp_payments', path: 'payments', rolsuper: false, rolcreatedb: false, rolcreaterole: false });

  t.teardown(() => admin.query(`DROP TABLE IF EXISTS payments.${table}, identity.${table}`));
  await payments.query(`CREATE TABLE ${table} (id int)`);
  const where = await admin.query('SELECT schemaname, tableowner FROM pg_tables WHERE tablename = $1', [table]);
  t.same(where.rows, [{ schemaname: 'payments', tableowner: 'elcorp_payments' }], 'unqualified create lands in its own schema');

  await admin.query(`CREATE TABLE identity.${table} (secret text)`);
  await t.rejects(payments.query(`SELECT * FROM identity.${table}`), { code: '42501', message: /permission denied for schema identity/ });
  await t.rejects(payments.query(`CREATE TABLE public.${table} (id int)`), { code: '42501' });
  await t.rejects(payments.query('CREATE SCHEMA stolen'), { code: '42501' });
});

t.test('PUBLIC cannot connect to elcorp; superusers and service roles can', async (t) => {
  const admin = await connect(t, superuserUrl);
  const { rows } = await admin.query(
    "SELECT has_database_privilege('public', 'elcorp', 'CONNECT') AS public_can, has_database_privilege('elcorp_identity', 'elcorp', 'CONNECT') AS identity_can",
  );
  t.same(rows[0], { public_can: false, identity_can: true });
});

t.test('init.sql refuses to run in any database but elcorp', async (t) => {
  const script = await readFile(new URL('../../../infra/postgres/init.sql', import.meta.url), 'utf8');
  const other = await connect(t, adminUrl);
  await t.rejects(other.query(script), /init\.sql must run in database elcorp, not postgres/);
});

t.test('ensureDatabase creates a missing database once', async (t) => {
  const name = `elcorp_init_${randomBytes(6).toString('hex')}`;
  const admin = await connect(t, adminUrl);
  t.teardown(() => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const [first, second] = await Promise.all([ensureDatabase(adminUrl, name), ensureDatabase(adminUrl, name)]);
  t.same([first, second].sort(), [false, true], 'concurrent callers: one creates, the other finds it');
  t.equal(await ensureDatabase(adminUrl, name), false);
});
