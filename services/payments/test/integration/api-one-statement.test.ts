import { uuidv7 } from '@elcorp/contracts';
import { transferSchema } from '@elcorp/contracts/http';
import { createDatabase, sql } from '@elcorp/db';
import { testConfig } from '@elcorp/testing';
import t from 'tap';
import { fingerprintOf } from '../../src/application/idempotency.js';
import { postTransferAtOnce } from '../../src/application/transfers.js';
import { paymentsDeps } from '../../src/deps.js';
import type { PaymentsDB } from '../../src/infrastructure/db/schema.js';
import { paymentsApi } from './http-harness.js';

const base = '/api/v1/payments';

// A plain transfer posts in one statement outside BEGIN/COMMIT. Its claim reads the key's row on
// the statement's snapshot; an answer that commits after that snapshot must undo the whole
// statement (money, entries, event), and the retry must get the answer that won.
t.test('an answer of the same key committing while the one-statement transfer runs: 409, nothing moved, the retry replays the winner', async (t) => {
  const api = await paymentsApi(t);
  const admin = await api.user(['admin'], 'Ad Min');
  const ana = await api.user(['user'], 'Ana Nangolo');
  const ben = await api.user(['user'], 'Ben Shikongo');
  const funded = await api.app.inject({ method: 'POST', url: `${base}/deposits`, headers: admin.headers('fund'), payload: { accountId: ana.accountId, amount: '100.00', currency: 'NAD', reference: 'cash' } });
  t.equal(funded.statusCode, 201);
  const payload = { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amount: '10.00', currency: 'NAD' };
  // The first debit folds the deposit into Ana's row (the general path); later ones take one statement.
  const first = await api.app.inject({ method: 'POST', url: `${base}/transfers`, headers: ana.headers('first'), payload });
  t.equal(first.statusCode, 201);
  const fingerprint = fingerprintOf('POST', `${base}/transfers`, payload);

  // Another writer of the key, uncommitted and not holding the key's advisory lock: the
  // transfer's statement takes the lock, misses the row, and waits on it at its answer's insert.
  const schema = (await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(api.db)).rows[0]!.schema;
  const other = createDatabase<PaymentsDB>({ url: testConfig.databaseUrl, schema, poolMax: 1 });
  t.teardown(() => other.close());
  const at = new Date().toISOString();
  const winner = { id: uuidv7(), status: 'posted', fromAccountId: ana.accountId, toAccountId: ben.accountId, amount: '10.00', currency: 'NAD', description: null, initiatedBy: ana.userId, approvedBy: null, createdAt: at, postedAt: at };
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let inserted!: () => void;
  const insertedOnce = new Promise<void>((resolve) => (inserted = resolve));
  const holder = other.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('idempotency_keys')
      .values({ user_id: ana.userId, key: 'raced', fingerprint, response_status: 201, response_body: JSON.stringify(winner), created_at: new Date() })
      .execute();
    inserted();
    await released;
  });
  await insertedOnce;
  const attempt = api.app.inject({ method: 'POST', url: `${base}/transfers`, headers: ana.headers('raced'), payload });
  // Waits until the statement is blocked on the uncommitted key row (state in Postgres, not a timer).
  for (;;) {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%WITH claim AS MATERIALIZED%'`.execute(api.db);
    if (rows[0]!.n > 0) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  release();
  await holder;

  const answer = await attempt;
  t.equal(answer.statusCode, 409, answer.body);
  t.equal(answer.json().code, 'payments.request_in_progress');
  const account = await api.app.inject({ method: 'GET', url: `${base}/accounts/${ana.accountId}`, headers: ana.headers() });
  t.equal(account.json().balance, '90.00', 'no money moved but the first transfer');
  t.equal((await api.db.selectFrom('transfers').select('id').where('kind', '=', 'transfer').execute()).length, 1, 'no second transfer row');
  t.equal((await api.db.selectFrom('outbox').select('id').where('type', '=', 'payments.transfer.posted').execute()).length, 1, 'no second event');

  const retry = await api.app.inject({ method: 'POST', url: `${base}/transfers`, headers: ana.headers('raced'), payload });
  t.equal(retry.statusCode, 201);
  t.equal(retry.headers['idempotent-replayed'], 'true');
  t.same(retry.json(), winner, 'the answer that won');
});

// The statement names its destination as `kind <> 'treasury'` (so that the planner reads it by
// primary key): a treasury account must still never be credited by a user's transfer, neither
// in the one statement nor on the general path it falls back to.
t.test('a transfer to a treasury account posts nothing, in one statement or on the general path', async (t) => {
  const api = await paymentsApi(t);
  const admin = await api.user(['admin'], 'Ad Min');
  const ana = await api.user(['user'], 'Ana Nangolo');
  const ben = await api.user(['user'], 'Ben Shikongo');
  t.equal((await api.app.inject({ method: 'POST', url: `${base}/deposits`, headers: admin.headers('fund'), payload: { accountId: ana.accountId, amount: '100.00', currency: 'NAD', reference: 'cash' } })).statusCode, 201);
  // Folds the deposit into Ana's row, so the next transfers can take the one statement.
  const first = await api.app.inject({ method: 'POST', url: `${base}/transfers`, headers: ana.headers('first'), payload: { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amount: '1.00', currency: 'NAD' } });
  t.equal(first.statusCode, 201);
  const treasury = (await api.db.selectFrom('accounts').select('id').where('kind', '=', 'treasury').where('currency', '=', 'NAD').executeTakeFirstOrThrow()).id;

  const deps = paymentsDeps(api.db, { root: api.subjectRoot }, { approvalThreshold: '50000.00', approvalExpiryMs: 60_000 });
  const anaCaller = { userId: ana.userId, actor: { userId: ana.userId } };
  const atOnce = (toAccountId: string, key: string) =>
    postTransferAtOnce(deps, anaCaller, { fromAccountId: ana.accountId, to: { accountId: toAccountId }, amountMinor: 1_00n, currency: 'NAD' }, { userId: ana.userId, key, fingerprint: key });
  t.ok(await atOnce(ben.accountId, 'to-ben'), 'the one statement posts to a user account (the control)');
  t.equal(await atOnce(treasury, 'to-treasury'), undefined, 'the one statement does not post to the treasury');
  const overHttp = await api.app.inject({ method: 'POST', url: `${base}/transfers`, headers: ana.headers('to-treasury-http'), payload: { fromAccountId: ana.accountId, to: { accountId: treasury }, amount: '1.00', currency: 'NAD' } });
  t.equal(overHttp.statusCode, 404, overHttp.body);
  t.equal(overHttp.json().code, 'payments.account_not_found');

  const account = await api.app.inject({ method: 'GET', url: `${base}/accounts/${ana.accountId}`, headers: ana.headers() });
  t.equal(account.json().balance, '98.00', 'only the two transfers to Ben moved money');
  t.equal((await api.db.selectFrom('transfers').select('id').where('to_account_id', '=', treasury).execute()).length, 0, 'no transfer to the treasury');
  t.equal((await api.db.selectFrom('idempotency_keys').select('key').where('key', '=', 'to-treasury').execute()).length, 0, 'no answer stored by the statement that did not post');
});

// The one statement's 201 is sent as the very JSON it stores for the key, not serialised again
// through the route's response schema: that text must be what the schema would have sent, so the
// first answer and every replay (serialised through the schema) are the same bytes.
t.test('the one statement answers with the JSON it stores: what the response schema sends, byte for byte, as its replay', async (t) => {
  const api = await paymentsApi(t);
  const admin = await api.user(['admin'], 'Ad Min');
  const ana = await api.user(['user'], 'Ana Nangolo');
  const ben = await api.user(['user'], 'Ben Shikongo');
  t.equal((await api.app.inject({ method: 'POST', url: `${base}/deposits`, headers: admin.headers('fund'), payload: { accountId: ana.accountId, amount: '100.00', currency: 'NAD', reference: 'cash' } })).statusCode, 201);
  const payload = (description?: string) => ({ fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amount: '1.00', currency: 'NAD', ...(description === undefined ? {} : { description }) });
  // Folds the deposit into Ana's row, so the next transfers can take the one statement.
  t.equal((await api.app.inject({ method: 'POST', url: `${base}/transfers`, headers: ana.headers('first'), payload: payload() })).statusCode, 201);

  const deps = paymentsDeps(api.db, { root: api.subjectRoot }, { approvalThreshold: '50000.00', approvalExpiryMs: 60_000 });
  const posted = await postTransferAtOnce(deps, { userId: ana.userId, actor: { userId: ana.userId } }, { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amountMinor: 1_00n, currency: 'NAD', description: 'lunch "ü" \u2028' }, { userId: ana.userId, key: 'direct', fingerprint: 'direct' });
  t.ok(posted, 'the one statement posted');
  t.equal(posted, JSON.stringify(transferSchema.parse(JSON.parse(posted!))), 'the stored text is the schema-serialised view');
  const stored = await api.db.selectFrom('idempotency_keys').select('response_body').where('key', '=', 'direct').executeTakeFirstOrThrow();
  t.same(stored.response_body, JSON.parse(posted!), 'stored as sent');

  for (const description of [undefined, 'rent "share" ü']) {
    const key = `http-${description === undefined ? 'bare' : 'described'}`;
    const sent = await api.app.inject({ method: 'POST', url: `${base}/transfers`, headers: ana.headers(key), payload: payload(description) });
    t.equal(sent.statusCode, 201, sent.body);
    t.equal(sent.headers['content-type'], 'application/json; charset=utf-8');
    t.equal(sent.body, JSON.stringify(transferSchema.parse(sent.json())), 'what the response schema would have sent');
    t.equal(sent.json().description, description ?? null);
    const replay = await api.app.inject({ method: 'POST', url: `${base}/transfers`, headers: ana.headers(key), payload: payload(description) });
    t.equal(replay.headers['idempotent-replayed'], 'true');
    t.equal(replay.headers['content-type'], sent.headers['content-type']);
    t.equal(replay.body, sent.body, 'the replay is the same bytes');
  }
  const transfers = await api.db.selectFrom('transfers').select('id').where('kind', '=', 'transfer').execute();
  t.equal(transfers.length, 4, 'the first, the direct one and one per key');
});
