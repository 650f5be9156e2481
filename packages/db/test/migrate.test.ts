import t from 'tap';
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import type { Test } from 'tap';
import { testSchema } from '@elcorp/testing';
import { migrate } from '../src/index.js';

const CREATE_ACCOUNTS = 'CREATE TABLE accounts (id bigint PRIMARY KEY);\n';
// Not idempotent on purpose: running it twice fails, so exactly-once is observable.
const ADD_CURRENCY = "ALTER TABLE accounts ADD COLUMN currency char(3) NOT NULL DEFAULT 'NAD';\n";
const CREATE_TRANSFERS = 'CREATE TABLE transfers (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts);\n';

async function setup(t: Test, files: Parameters<Test['testdir']>[0]) {
  const { schema, url } = await testSchema(t, 'migrate');
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  t.teardown(() => pool.end());
  const migrationsDir = t.testdir(files);
  return { schema, url, pool, migrationsDir };
}

async function rows(pool: pg.Pool, schema: string) {
  const result = await pool.query(`SELECT version, name, checksum, applied_at FROM "${schema}".schema_migrations ORDER BY version`);
  return result.rows as { version: number; name: string; checksum: string; applied_at: Date }[];
}

t.test('applies files in version order, records them, and a second run is a no-op', async (t) => {
  // Written out of order: the runner sorts by number, not by directory order.
  const { schema, pool, migrationsDir } = await setup(t, {
    '0002_add_currency.sql': ADD_CURRENCY,
    '0001_create_accounts.sql': CREATE_ACCOUNTS,
    '0010_create_transfers.sql': CREATE_TRANSFERS,
  });
  const logged: unknown[] = [];
  const first = await migrate({ pool, schema, migrationsDir, log: (msg, fields) => logged.push({ msg, fields }) });
  t.same(first.applied, ['0001_create_accounts.sql', '0002_add_currency.sql', '0010_create_transfers.sql']);
  t.equal(logged.length, 3);
  t.match(logged[0], { msg: 'migration applied', fields: { schema, version: 1, file: '0001_create_accounts.sql' } });

  const recorded = await rows(pool, schema);
  t.same(recorded.map((r) => [r.version, r.name]), [[1, 'create_accounts'], [2, 'add_currency'], [10, 'create_transfers']]);
  t.match(recorded[0]!.checksum, /^[0-9a-f]{64}$/);
  t.ok(recorded[0]!.applied_at instanceof Date);
  const columns = await pool.query('SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', [schema, 'accounts']);
  t.same(columns.rows.map((c) => c.column_name).sort(), ['currency', 'id'], 'tables created in the target schema');

  const second = await migrate({ pool, schema, migrationsDir });
  t.same(second.applied, []);
  t.equal((await rows(pool, schema)).length, 3);

  await writeFile(join(migrationsDir, '0011_add_note.sql'), 'ALTER TABLE transfers ADD COLUMN note text;');
  t.same((await migrate({ pool, schema, migrationsDir })).applied, ['0011_add_note.sql'], 'only the new file runs');
});

t.test('two migrators racing on one schema apply each migration exactly once', async (t) => {
  const { schema, url, pool, migrationsDir } = await setup(t, {
    '0001_create_accounts.sql': CREATE_ACCOUNTS,
    '0002_add_currency.sql': ADD_CURRENCY,
    '0003_create_transfers.sql': CREATE_TRANSFERS,
  });
  const replicaA = new pg.Pool({ connectionString: url, max: 1 });
  const replicaB = new pg.Pool({ connectionString: url, max: 1 });
  t.teardown(() => Promise.all([replicaA.end(), replicaB.end()]));

  // Hold the migration lock so both replicas are provably waiting at the same time, then
  // let them go together.
  const gate = await pool.connect();
  t.teardown(() => gate.release());
  const lockKey = `elcorp.migrate.${schema}`;
  await gate.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lockKey]);
  const runs = Promise.all([
    migrate({ pool: replicaA, schema, migrationsDir }),
    migrate({ pool: replicaB, schema, migrationsDir }),
  ]);
  await waitForLockWaiters(pool, lockKey, 2);
  await gate.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]);

  const [a, b] = await runs;
  t.same([...a.applied, ...b.applied].sort(), ['0001_create_accounts.sql', '0002_add_currency.sql', '0003_create_transfers.sql']);
  t.ok(a.applied.length === 0 || b.applied.length === 0, 'one replica applied everything, the other nothing');
  t.same((await rows(pool, schema)).map((r) => r.version), [1, 2, 3]);
});

// Polls pg_locks until `count` sessions wait for the advisory lock; bounded, not a sleep.
async function waitForLockWaiters(pool: pg.Pool, lockKey: string, count: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM pg_locks
       WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
      [lockKey],
    );
    if (rows[0].n >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${rows[0].n} of ${count} migrators waited for the lock`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

t.test('refuses an applied file whose content changed', async (t) => {
  const { schema, pool, migrationsDir } = await setup(t, { '0001_create_accounts.sql': CREATE_ACCOUNTS });
  await migrate({ pool, schema, migrationsDir });
  await writeFile(join(migrationsDir, '0001_create_accounts.sql'), CREATE_ACCOUNTS + '-- edited\n');
  await t.rejects(migrate({ pool, schema, migrationsDir }), /0001_create_accounts\.sql changed after it was applied/);
});

t.test('refuses when an applied file is missing or renamed', async (t) => {
  const { schema, pool, migrationsDir } = await setup(t, { '0001_create_accounts.sql': CREATE_ACCOUNTS });
  await migrate({ pool, schema, migrationsDir });
  await rm(join(migrationsDir, '0001_create_accounts.sql'));
  await t.rejects(migrate({ pool, schema, migrationsDir }), /0001_create_accounts\.sql was applied but is missing/);
  await writeFile(join(migrationsDir, '0001_make_accounts.sql'), CREATE_ACCOUNTS);
  await t.rejects(migrate({ pool, schema, migrationsDir }), /0001_make_accounts\.sql was applied as 0001_create_accounts\.sql/);
});

t.test('rejects badly named and duplicate-numbered files', async (t) => {
  const { schema, pool } = await setup(t, {});
  for (const name of ['create_accounts.sql', '1_create_accounts.sql', '0001-create-accounts.sql', '0001_CreateAccounts.sql', '0001_x.txt']) {
    const migrationsDir = t.testdir({ [name]: CREATE_ACCOUNTS });
    await t.rejects(migrate({ pool, schema, migrationsDir }), { message: `migration file ${name} in ${migrationsDir} is not named NNNN_snake_name.sql` });
  }
  const migrationsDir = t.testdir({ '0001_create_accounts.sql': CREATE_ACCOUNTS, '0001_create_other.sql': 'SELECT 1;' });
  await t.rejects(migrate({ pool, schema, migrationsDir }), /share version 0001/);
  t.equal((await pool.query('SELECT to_regclass($1) AS t', [`"${schema}".accounts`])).rows[0].t, null, 'nothing applied');
});

t.test('a failing file rolls back, names the file, and releases the lock', async (t) => {
  const { schema, pool, migrationsDir } = await setup(t, {
    '0001_create_accounts.sql': CREATE_ACCOUNTS,
    '0002_broken.sql': 'CREATE TABLE half (id int);\nSELECT no_such_column FROM accounts;\n',
    notes: { 'README.md': 'directories are ignored' },
  });
  await t.rejects(migrate({ pool, schema, migrationsDir }), /migration 0002_broken\.sql failed in schema .*no_such_column/);
  t.same((await rows(pool, schema)).map((r) => r.version), [1], 'the file before it stays applied');
  t.equal((await pool.query('SELECT to_regclass($1) AS t', [`"${schema}".half`])).rows[0].t, null, 'the failed file left nothing');

  await writeFile(join(migrationsDir, '0002_broken.sql'), 'CREATE TABLE half (id int);\n');
  t.same((await migrate({ pool, schema, migrationsDir })).applied, ['0002_broken.sql'], 'lock was released');
});

t.test('rejects a bad schema name before touching the database', async (t) => {
  const pool = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
  t.teardown(() => pool.end());
  await t.rejects(migrate({ pool, schema: 'x; DROP TABLE y', migrationsDir: t.testdir({}) }), /invalid schema name/);
});

t.test('two migration sets in one schema keep separate histories', async (t) => {
  const { schema, pool, migrationsDir } = await setup(t, {
    service: { '0001_accounts.sql': CREATE_ACCOUNTS },
    shared: { '0001_outbox.sql': 'CREATE TABLE outbox (id uuid PRIMARY KEY);\n' },
  });
  const shared = join(migrationsDir, 'shared');
  t.same((await migrate({ pool, schema, migrationsDir: shared, historyTable: 'shared_migrations' })).applied, ['0001_outbox.sql']);
  t.same(
    (await migrate({ pool, schema, migrationsDir: join(migrationsDir, 'service') })).applied,
    ['0001_accounts.sql'],
    'version 1 of the service set is not taken by the shared set',
  );
  t.same((await migrate({ pool, schema, migrationsDir: shared, historyTable: 'shared_migrations' })).applied, []);
  await t.rejects(migrate({ pool, schema, migrationsDir: shared, historyTable: 'Bad-Name' }));
});
