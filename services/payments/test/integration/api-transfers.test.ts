import { sql } from '@elcorp/db';
import t from 'tap';
import { paymentsApi, type PaymentsApi, type TestUser } from './http-harness.js';

const base = '/api/v1/payments';
let n = 0;
const key = () => `key-${++n}-${Date.now()}`;

async function fund(api: PaymentsApi, admin: TestUser, user: TestUser, amount: string) {
  const res = await api.app.inject({ method: 'POST', url: `${base}/deposits`, headers: admin.headers(key()), payload: { accountId: user.accountId, amount, currency: 'NAD', reference: 'cash' } });
  if (res.statusCode !== 201) throw new Error(`deposit failed: ${res.body}`);
}

t.test('payments API: accounts, deposits, transfers, approvals, reads', async (t) => {
  const api = await paymentsApi(t, { PAYMENTS_APPROVAL_THRESHOLD: '100.00' });
  const admin = await api.user(['admin'], 'Ad Min');
  const staff = await api.user(['staff'], 'Sta Ff');
  const ana = await api.user(['user'], 'Ana Nangolo');
  const ben = await api.user(['user'], 'Ben Shikongo');
  const eve = await api.user(['user'], 'Eve Outsider');
  const post = (user: TestUser, url: string, payload: object, idem?: string) => api.app.inject({ method: 'POST', url: `${base}${url}`, headers: user.headers(idem), payload });
  const get = (user: TestUser, url: string, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url: `${base}${url}`, headers: { ...user.headers(), ...headers } });

  await t.test('401 without a token', async (t) => {
    const res = await api.app.inject({ method: 'GET', url: `${base}/accounts` });
    t.equal(res.statusCode, 401);
    t.match(res.headers['www-authenticate'], /^DPoP/);
  });

  await t.test('accounts: list own, open another currency once, read own, others 404, reconciler reads any', async (t) => {
    const list = await get(ana, '/accounts');
    t.equal(list.statusCode, 200);
    t.match(list.json(), { items: [{ id: ana.accountId, ownerId: ana.userId, currency: 'NAD', balance: '0.00', heldAmount: '0.00', status: 'active' }], nextCursor: null });
    const opened = await post(ana, '/accounts', { currency: 'ZAR' });
    t.equal(opened.statusCode, 201);
    t.match(opened.json(), { currency: 'ZAR', balance: '0.00' });
    const again = await post(ana, '/accounts', { currency: 'ZAR' });
    t.equal(again.statusCode, 409);
    t.equal(again.json().code, 'payments.account_exists');
    t.equal((await post(ana, '/accounts', { currency: 'EUR' })).statusCode, 422, 'unknown currency');
    t.equal((await get(ana, `/accounts/${ana.accountId}`)).statusCode, 200);
    const foreign = await get(eve, `/accounts/${ana.accountId}`);
    t.equal(foreign.statusCode, 404);
    t.equal(foreign.json().code, 'payments.account_not_found');
    t.equal((await get(admin, `/accounts/${ana.accountId}`)).json().id, ana.accountId, 'payment:reconcile reads any account');
  });

  await t.test('deposits: payment:deposit holders with a key; others 403; no key 400', async (t) => {
    const noKey = await post(admin, '/deposits', { accountId: ana.accountId, amount: '500.00', currency: 'NAD', reference: 'cash' });
    t.equal(noKey.statusCode, 400);
    t.equal(noKey.json().code, 'payments.idempotency_key_required');
    const denied = await post(ana, '/deposits', { accountId: ana.accountId, amount: '500.00', currency: 'NAD', reference: 'cash' }, key());
    t.equal(denied.statusCode, 403);
    t.equal(denied.json().code, 'authz.denied');
    const ok = await post(admin, '/deposits', { accountId: ana.accountId, amount: '500.00', currency: 'NAD', reference: 'cash' }, key());
    t.equal(ok.statusCode, 201);
    t.match(ok.json(), { status: 'posted', toAccountId: ana.accountId, amount: '500.00', initiatedBy: admin.userId });
    // API.md: exactly the currency's minor digits, so "125.5" and "125" are not NAD amounts.
    for (const amount of ['5.555', '125.5', '125']) {
      const bad = await post(admin, '/deposits', { accountId: ana.accountId, amount, currency: 'NAD', reference: 'cash' }, key());
      t.equal(bad.statusCode, 422, `${amount} NAD is refused`);
      t.match(bad.json(), { code: 'validation_failed', errors: [{ path: 'body.amount' }] });
    }
    const transfer = await post(ana, '/transfers', { fromAccountId: ana.accountId, to: { userId: ben.userId }, amount: '1.5', currency: 'NAD' }, key());
    t.match([transfer.statusCode, transfer.json()], [422, { code: 'validation_failed', errors: [{ path: 'body.amount' }] }], 'a transfer of 1.5 NAD is refused');
    const invoice = await post(ana, '/invoices', { payerId: ben.userId, amount: '20', currency: 'NAD', description: 'x', dueDate: '2099-01-01' });
    t.match([invoice.statusCode, invoice.json()], [422, { code: 'validation_failed', errors: [{ path: 'body.amount' }] }], 'an invoice of 20 NAD is refused');
    t.equal((await get(ana, `/accounts/${ana.accountId}`)).json().balance, '500.00', 'no refused amount moved money');
  });

  await t.test('transfers: 201 posted, 202 held above the threshold, and every listed refusal', async (t) => {
    const posted = await post(ana, '/transfers', { fromAccountId: ana.accountId, to: { userId: ben.userId }, amount: '40.00', currency: 'NAD', description: 'rent share' }, key());
    t.equal(posted.statusCode, 201);
    t.match(posted.json(), { status: 'posted', fromAccountId: ana.accountId, toAccountId: ben.accountId, amount: '40.00', currency: 'NAD', description: 'rent share', initiatedBy: ana.userId, approvedBy: null });
    const held = await post(ana, '/transfers', { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amount: '150.00', currency: 'NAD' }, key());
    t.equal(held.statusCode, 202);
    t.equal(held.json().status, 'pending_approval');
    t.match((await get(ana, `/accounts/${ana.accountId}`)).json(), { balance: '460.00', heldAmount: '150.00' });

    const refusal = async (payload: object, status: number, code: string) => {
      const res = await post(ana, '/transfers', payload, key());
      t.equal(res.statusCode, status, code);
      t.equal(res.json().code, code);
    };
    await refusal({ fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amount: '400.00', currency: 'NAD' }, 422, 'payments.insufficient_funds');
    await refusal({ fromAccountId: ana.accountId, to: { accountId: ana.accountId }, amount: '1.00', currency: 'NAD' }, 422, 'payments.same_account');
    await refusal({ fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amount: '1.00', currency: 'ZAR' }, 422, 'payments.currency_mismatch');
    await refusal({ fromAccountId: ben.accountId, to: { accountId: eve.accountId }, amount: '1.00', currency: 'NAD' }, 404, 'payments.account_not_found');
    await refusal({ fromAccountId: ana.accountId, to: { userId: eve.userId }, amount: '1.00', currency: 'USD' }, 404, 'payments.account_not_found'); // eve has no USD account
    await refusal({ fromAccountId: ana.accountId, to: { accountId: '0192f0c4-0000-7000-8000-000000000000' }, amount: '1.00', currency: 'NAD' }, 404, 'payments.account_not_found');
    await api.db.updateTable('accounts').set({ status: 'frozen' }).where('id', '=', eve.accountId).execute();
    await refusal({ fromAccountId: ana.accountId, to: { accountId: eve.accountId }, amount: '1.00', currency: 'NAD' }, 422, 'payments.account_inactive');
    await api.db.updateTable('accounts').set({ status: 'active' }).where('id', '=', eve.accountId).execute();
    const unknown = await post(ana, '/transfers', { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amount: '1.00', currency: 'NAD', extra: 1 }, key());
    t.equal(unknown.statusCode, 422, 'unknown fields are refused');
    const noKey = await post(ana, '/transfers', { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amount: '1.00', currency: 'NAD' });
    t.equal(noKey.json().code, 'payments.idempotency_key_required');

    await t.test('approve: another payment:approve holder posts it; the initiator cannot; a user is denied', async (t) => {
      const id = held.json().id as string;
      const denied = await post(ben, `/transfers/${id}/approve`, {});
      t.equal(denied.statusCode, 403);
      t.equal(denied.json().code, 'authz.denied');
      const staffHeld = await post(staff, '/transfers', { fromAccountId: staff.accountId, to: { accountId: ben.accountId }, amount: '1.00', currency: 'NAD' }, key());
      t.equal(staffHeld.json().code, 'payments.insufficient_funds');
      await fund(api, admin, staff, '300.00');
      const own = await post(staff, '/transfers', { fromAccountId: staff.accountId, to: { accountId: ben.accountId }, amount: '200.00', currency: 'NAD' }, key());
      t.equal(own.statusCode, 202);
      const self = await post(staff, `/transfers/${own.json().id}/approve`, {});
      t.equal(self.statusCode, 403);
      t.equal(self.json().code, 'payments.self_approval');
      const approved = await post(staff, `/transfers/${id}/approve`, {});
      t.equal(approved.statusCode, 200);
      t.match(approved.json(), { status: 'posted', approvedBy: staff.userId });
      t.match((await get(ana, `/accounts/${ana.accountId}`)).json(), { balance: '310.00', heldAmount: '0.00' });
      t.equal((await post(staff, '/transfers/0192f0c4-0000-7000-8000-000000000000/approve', {})).statusCode, 404);

      const rejected = await api.app.inject({ method: 'POST', url: `${base}/transfers/${own.json().id}/reject`, headers: admin.headers(), payload: { reason: 'not today' } });
      t.equal(rejected.statusCode, 200);
      t.equal(rejected.json().status, 'rejected');
      t.match((await get(staff, `/accounts/${staff.accountId}`)).json(), { balance: '300.00', heldAmount: '0.00' }, 'hold released');
    });
  });

  await t.test('transfers list, single transfer, statement with running balances', async (t) => {
    const first = await get(ana, '/transfers?limit=2');
    t.equal(first.statusCode, 200);
    t.equal(first.json().items.length, 2);
    t.type(first.json().nextCursor, 'string');
    const rest = await get(ana, `/transfers?limit=100&cursor=${first.json().nextCursor}`);
    t.equal(rest.json().items.length + 2, 3, 'deposit, posted and approved transfers');
    t.equal(rest.json().nextCursor, null);
    const held = await get(ana, '/transfers?status=pending_approval');
    t.same(held.json().items, []);
    const one = first.json().items[0];
    t.equal((await get(ana, `/transfers/${one.id}`)).statusCode, 200);
    t.equal((await get(eve, `/transfers/${one.id}`)).statusCode, 404, "others' transfers are not found");
    t.equal((await get(admin, `/transfers/${one.id}`)).statusCode, 200, 'a reconciler reads any transfer');

    const statement = await get(ana, `/accounts/${ana.accountId}/statement?limit=100`);
    t.equal(statement.statusCode, 200);
    t.match(statement.json().items, [
      { direction: 'credit', amount: '500.00', balanceAfter: '500.00' },
      { direction: 'debit', amount: '40.00', balanceAfter: '460.00', counterpartyAccountId: ben.accountId, description: 'rent share' },
      { direction: 'debit', amount: '150.00', balanceAfter: '310.00' },
    ]);
    t.equal((await get(eve, `/accounts/${ana.accountId}/statement`)).statusCode, 404);
    const past = await get(ana, `/accounts/${ana.accountId}/balance?at=2020-01-01T00:00:00.000Z`);
    t.equal(past.json().balance, '0.00');
    const now = await get(ana, `/accounts/${ana.accountId}/balance?at=${new Date(Date.now() + 1000).toISOString()}`);
    t.equal(now.json().balance, '310.00');
  });

  await t.test('Idempotency-Key: replay, reuse with another body, in progress', async (t) => {
    const k = key();
    const body = { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amount: '1.00', currency: 'NAD' };
    const first = await post(ana, '/transfers', body, k);
    const replay = await post(ana, '/transfers', { currency: 'NAD', amount: '1.00', to: { accountId: ben.accountId }, fromAccountId: ana.accountId }, k);
    t.equal(replay.statusCode, first.statusCode);
    t.same(replay.json(), first.json());
    t.equal(replay.headers['idempotent-replayed'], 'true');
    t.notOk(first.headers['idempotent-replayed']);
    const reused = await post(ana, '/transfers', { ...body, amount: '2.00' }, k);
    t.equal(reused.statusCode, 422);
    t.equal(reused.json().code, 'payments.idempotency_key_reused');
    const otherUser = await post(ben, '/transfers', { fromAccountId: ben.accountId, to: { accountId: ana.accountId }, amount: '1.00', currency: 'NAD' }, k);
    t.equal(otherUser.statusCode, 201, 'keys are per user');
    const refusedKey = key();
    const refused = await post(ana, '/transfers', { ...body, amount: '9999.00' }, refusedKey);
    t.equal(refused.json().code, 'payments.insufficient_funds');
    await fund(api, admin, ana, '20000.00');
    const refusedAgain = await post(ana, '/transfers', { ...body, amount: '9999.00' }, refusedKey);
    t.same(refusedAgain.json(), refused.json(), 'a refusal is an answer too: replayed, not retried');
    t.equal(refusedAgain.headers['idempotent-replayed'], 'true');

    const busy = key();
    // Another attempt holds the key (its transaction is open): this one must not wait or run.
    const inProgress = await api.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`payments.idempotency:${ana.userId}:${busy}`}, 0))`.execute(trx);
      return post(ana, '/transfers', body, busy);
    });
    t.equal(inProgress.statusCode, 409);
    t.equal(inProgress.json().code, 'payments.request_in_progress');
    t.equal((await post(ana, '/transfers', body, busy)).statusCode, 201, 'runs once the first attempt is gone');
    const tooLong = await post(ana, '/transfers', body, 'x'.repeat(256));
    t.equal(tooLong.json().code, 'payments.idempotency_key_required');
  });
});
