import { startTelemetry } from '@elcorp/kit';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import t, { type Test } from 'tap';
import type { MessagingTables, UnitOfWork } from '../src/index.js';

// Telemetry starts before pg loads, as `node --import @elcorp/kit/telemetry` does, so a
// unit of work run inside a span stores that span's context with its events.
const telemetry = startTelemetry({ service: 'unit-of-work-test', spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] });
t.teardown(() => telemetry.shutdown());

const { createEvent } = await import('@elcorp/contracts');
const { createDatabase, migrate, sql } = await import('@elcorp/db');
const { testSchema } = await import('@elcorp/testing');
const messaging = await import('../src/index.js');
const { eventsPerUnitMax, onOutboxCommit, oneStatementUnitOfWork, unitOfWork } = messaging;
const { writeOutbox } = await import('../src/outbox.js');

interface Tables extends MessagingTables {
  accounts: { id: string; balance: number };
}

async function setUp(t: Test) {
  const { url, schema } = await testSchema(t, 'uow');
  const database = createDatabase<Tables>({ url, schema });
  t.teardown(() => database.close());
  await migrate({ pool: database.pool, schema, migrationsDir: messaging.messagingMigrations.dir, historyTable: messaging.messagingMigrations.historyTable });
  await sql`CREATE TABLE accounts (id uuid PRIMARY KEY, balance int NOT NULL)`.execute(database.db);
  const names = { root: `uow${process.pid}` };
  const outbox = () => database.db.selectFrom('outbox').select(['id', 'type', 'subject', 'headers']).orderBy('created_at').execute();
  return { db: database.db, names, run: unitOfWork(database.db, names), outbox };
}

function updated(userId = crypto.randomUUID()) {
  return createEvent('identity.user.updated', { subject: { type: 'user', id: userId }, actor: null, data: { userId, changed: ['phone'] } });
}

t.test('events recorded in a unit that rolls back never reach the outbox', async (t) => {
  const { db, run, outbox } = await setUp(t);
  const id = crypto.randomUUID();
  await t.rejects(
    run(async ({ trx, record }) => {
      await trx.insertInto('accounts').values({ id, balance: 1 }).execute();
      record(updated(), updated());
      throw new Error('the state change failed');
    }),
    /the state change failed/,
  );
  t.same(await outbox(), [], 'no outbox row');
  t.same(await db.selectFrom('accounts').selectAll().execute(), [], 'nor the change they announced');

  // A failing outbox write rolls the change back too: neither half commits alone.
  await t.rejects(
    run(async ({ trx, record }) => {
      await trx.insertInto('accounts').values({ id, balance: 1 }).execute();
      const event = updated();
      record(event, event);
    }),
    { code: '23505' },
    'the same event id twice breaks the outbox key',
  );
  t.same(await db.selectFrom('accounts').selectAll().execute(), [], 'the change went with the failed outbox write');
});

t.test('events of a committed unit reach the outbox with the trace of the work that recorded them', async (t) => {
  const { db, names, run, outbox } = await setUp(t);
  const id = crypto.randomUUID();
  const events = [updated(), updated()];
  const tracer = trace.getTracer('unit-of-work-test');
  const { traceId, spanId, answer } = await tracer.startActiveSpan('use case', async (span) => {
    const answer = await run(async ({ trx, record }) => {
      await trx.insertInto('accounts').values({ id, balance: 1 }).execute();
      record(...events);
      return 'done';
    });
    span.end();
    return { ...span.spanContext(), answer };
  });
  t.equal(answer, 'done', "the work's result comes back");
  const rows = await outbox();
  t.same(
    rows.map((r) => [r.id, r.type, r.subject]),
    events.map((e) => [e.id, 'identity.user.updated', `${names.root}.identity.user.updated`]),
    'every recorded event, in order',
  );
  for (const row of rows) t.match(row.headers.traceparent, new RegExp(`^00-${traceId}-${spanId}-0[01]$`), 'the trace of the request');
  t.equal((await db.selectFrom('accounts').selectAll().execute()).length, 1, 'with the change they announce');

  await run(async ({ trx }) => {
    await trx.updateTable('accounts').set({ balance: 2 }).where('id', '=', id).execute();
  });
  t.equal((await outbox()).length, 2, 'a unit that records nothing writes nothing');
});

t.test('a unit runs at the isolation level it asks for', async (t) => {
  const { run } = await setUp(t);
  const levelOf = (options?: { isolation: 'serializable' | 'repeatable read' }) =>
    run(async ({ trx }) => (await sql<{ transaction_isolation: string }>`SHOW transaction_isolation`.execute(trx)).rows[0]!.transaction_isolation, options);
  t.equal(await levelOf(), 'read committed', "Postgres's default");
  t.equal(await levelOf({ isolation: 'serializable' }), 'serializable');
  t.equal(await levelOf({ isolation: 'repeatable read' }), 'repeatable read');
});

t.test('recording after the unit ended throws', async (t) => {
  const { run, outbox } = await setUp(t);
  let escaped: UnitOfWork<Tables> | undefined;
  await run(async (uow) => {
    escaped = uow;
  });
  t.throws(() => escaped!.record(updated()), /after its unit of work ended/);
  t.same(await outbox(), []);
});

t.test('a unit records a bounded number of events', async (t) => {
  const { run, outbox } = await setUp(t);
  const many = Array.from({ length: eventsPerUnitMax + 1 }, () => updated());
  await t.rejects(run(async ({ record }) => record(...many)), new RegExp(`at most ${eventsPerUnitMax} events`));
  t.same(await outbox(), [], 'the unit rolled back');
  await run(async ({ record }) => record(...many.slice(0, eventsPerUnitMax)));
  t.equal((await outbox()).length, eventsPerUnitMax, 'the limit itself fits in one unit');
});

t.test('a one-statement unit: its events commit exactly with its statement, a second statement or a plain record throws', async (t) => {
  const { db, names, run, outbox } = await setUp(t);
  const once = oneStatementUnitOfWork(db, names);
  let wakes = 0;
  t.teardown(onOutboxCommit(db, () => wakes++));
  const insert = (uow: UnitOfWork<Tables>, id: string, balance: number, events: ReturnType<typeof updated>[]) =>
    sql`WITH changed AS (INSERT INTO accounts (id, balance) SELECT ${id}::uuid, ${balance} WHERE ${balance} > 0 RETURNING id),
         events AS (${uow.recordInStatement(events, sql`EXISTS (SELECT 1 FROM changed)`)})
         SELECT count(*)::int AS n FROM changed`.execute(uow.trx);

  const events = [updated(), updated()];
  const done = await once(async (uow) => (await insert(uow, crypto.randomUUID(), 1, events)).rows[0]);
  t.same(done, { n: 1 }, "the statement's result comes back");
  t.same((await outbox()).map((r) => [r.id, r.subject]), events.map((e) => [e.id, `${names.root}.identity.user.updated`]), 'its events, with the change');
  t.equal(wakes, 1, 'the relay is woken after it');

  await once((uow) => insert(uow, crypto.randomUUID(), 0, [updated()]));
  t.equal((await outbox()).length, 2, 'no change, no event');

  const id = crypto.randomUUID();
  await t.rejects(
    once(async (uow) => {
      await insert(uow, id, 1, [updated()]);
      await uow.trx.updateTable('accounts').set({ balance: 2 }).where('id', '=', id).execute();
    }),
    /ran a second statement/,
  );
  t.equal((await db.selectFrom('accounts').select('balance').where('id', '=', id).executeTakeFirstOrThrow()).balance, 1, 'the second statement was never sent');
  await t.rejects(once(async (uow) => uow.record(updated())), /recordInStatement/);
  await t.rejects(
    run(async (uow) => {
      uow.recordInStatement([], sql`true`);
    }),
    /at least one event/,
  );
  await db.transaction().execute(async (trx) => {
    const { uow } = messaging.openUnitOfWork(trx);
    t.throws(() => uow.recordInStatement([updated()], sql`true`), /opened by unitOfWork/, 'a unit without broker names cannot name subjects');
  });
});

t.test('the type system refuses an event written outside a unit of work', async (t) => {
  const { db, names, outbox } = await setUp(t);
  // Type-checked by `pnpm typecheck` (scripts/typecheck-tests.mjs); each line must stay an error.
  // @ts-expect-error the package has no way to write an event on a plain connection
  t.equal(messaging.appendToOutbox, undefined);
  // @ts-expect-error nor does it export the writer behind the unit of work
  t.equal(messaging.writeOutbox, undefined);
  // @ts-expect-error the writer itself takes a transaction, never a plain connection
  const outside = () => writeOutbox(db, names, [updated()]);
  t.ok(outside, 'compiles only with the error above');
  t.same(await outbox(), []);
});
