import t from 'tap';
import { extractText, getDocumentProxy } from 'unpdf';
import { paymentsApi, type TestUser } from './http-harness.js';

const base = '/api/v1/payments';
let n = 0;
const key = () => `inv-${++n}-${Date.now()}`;

t.test('invoices, receipts and reconciliations over HTTP', async (t) => {
  const api = await paymentsApi(t);
  const admin = await api.user(['admin'], 'Ad Min');
  const shop = await api.user(['user'], 'Shop Keeper');
  const payer = await api.user(['user'], 'Petrus Amupolo');
  const eve = await api.user(['user'], 'Eve Outsider');
  const post = (user: TestUser, url: string, payload: object, idem?: string) => api.app.inject({ method: 'POST', url: `${base}${url}`, headers: user.headers(idem), payload });
  const get = (user: TestUser, url: string, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url: `${base}${url}`, headers: { ...user.headers(), ...headers } });
  t.equal((await post(admin, '/deposits', { accountId: payer.accountId, amount: '100.00', currency: 'NAD', reference: 'salary' }, key())).statusCode, 201);

  let invoiceId = '';
  let transferId = '';
  await t.test('issue 201 open, list by role, pay 200 paid once, not open 422, cancel 200', async (t) => {
    const issued = await post(shop, '/invoices', { payerId: payer.userId, amount: '25.50', currency: 'NAD', description: 'groceries', dueDate: '2099-01-31' });
    t.equal(issued.statusCode, 201);
    t.match(issued.json(), { status: 'open', payeeId: shop.userId, payerId: payer.userId, amount: '25.50', dueDate: '2099-01-31', transferId: null, overdue: false });
    invoiceId = issued.json().id;
    t.equal((await post(shop, '/invoices', { payerId: payer.userId, amount: '1.00', currency: 'NAD', description: 'x', dueDate: '2001-01-01' })).statusCode, 422, 'a due date in the past');
    t.equal((await post(shop, '/invoices', { payerId: shop.userId, amount: '1.00', currency: 'NAD', description: 'x', dueDate: '2099-01-01' })).statusCode, 422, 'not to oneself');
    const asPayer = await get(payer, '/invoices?role=payer');
    t.equal(asPayer.statusCode, 200);
    t.same(asPayer.json().items.map((i: { id: string }) => i.id), [invoiceId]);
    t.same((await get(payer, '/invoices?role=payee')).json().items, []);

    t.equal((await post(payer, `/invoices/${invoiceId}/pay`, { fromAccountId: payer.accountId })).json().code, 'payments.idempotency_key_required');
    t.equal((await post(eve, `/invoices/${invoiceId}/pay`, { fromAccountId: eve.accountId }, key())).statusCode, 404, 'strangers do not see it');
    const k = key();
    const paid = await post(payer, `/invoices/${invoiceId}/pay`, { fromAccountId: payer.accountId }, k);
    t.equal(paid.statusCode, 200);
    t.match(paid.json(), { status: 'paid' });
    transferId = paid.json().transferId;
    t.type(transferId, 'string');
    const replay = await post(payer, `/invoices/${invoiceId}/pay`, { fromAccountId: payer.accountId }, k);
    t.same(replay.json(), paid.json());
    t.equal(replay.headers['idempotent-replayed'], 'true');
    const twice = await post(payer, `/invoices/${invoiceId}/pay`, { fromAccountId: payer.accountId }, key());
    t.equal(twice.statusCode, 422);
    t.equal(twice.json().code, 'payments.invoice_not_open');
    t.equal((await get(shop, `/accounts/${shop.accountId}`)).json().balance, '25.50');

    const other = await post(shop, '/invoices', { payerId: payer.userId, amount: '2.00', currency: 'NAD', description: 'y', dueDate: '2099-01-31' });
    const cancelled = await post(shop, `/invoices/${other.json().id}/cancel`, {});
    t.equal(cancelled.statusCode, 200);
    t.equal(cancelled.json().status, 'cancelled');
    t.equal((await post(shop, `/invoices/${other.json().id}/cancel`, {})).json().code, 'payments.invoice_not_open');
    t.equal((await post(payer, `/invoices/${invoiceId}/cancel`, {})).statusCode, 403, 'only the payee cancels');
  });

  await t.test('receipt as JSON and as a PDF whose text reads back; strangers 404', async (t) => {
    const json = await get(payer, `/transfers/${transferId}/receipt`, { accept: 'application/json' });
    t.equal(json.statusCode, 200);
    t.match(json.json(), { transferId, amount: '25.50', currency: 'NAD', from: { accountId: payer.accountId, name: 'P***** A******' }, to: { accountId: shop.accountId, name: 'S*** K*****' }, description: 'groceries' });
    const pdf = await get(shop, `/transfers/${transferId}/receipt`, { accept: 'application/pdf' });
    t.equal(pdf.statusCode, 200);
    t.equal(pdf.headers['content-type'], 'application/pdf');
    const document = await getDocumentProxy(new Uint8Array(pdf.rawPayload));
    const { text } = await extractText(document, { mergePages: true });
    for (const expected of [transferId, '25.50 NAD', 'P***** A******', 'S*** K*****', payer.accountId, 'groceries']) t.ok(text.includes(expected), `the PDF shows ${expected}`);
    t.notOk(text.includes('Petrus'), 'no full name');
    t.equal((await get(eve, `/transfers/${transferId}/receipt`)).statusCode, 404);
  });

  await t.test('reconciliations: payment:reconcile only; 201 balanced; page', async (t) => {
    const denied = await post(shop, '/reconciliations', {});
    t.equal(denied.statusCode, 403);
    const done = await post(admin, '/reconciliations', {});
    t.equal(done.statusCode, 201);
    t.match(done.json(), { ledgerBalanced: true, mismatches: [] });
    t.ok(done.json().accountsChecked >= 7, 'every user account and the three treasuries');
    // A stored balance that disagrees with the entries is listed.
    await api.db.updateTable('accounts').set({ balance: 1n }).where('id', '=', eve.accountId).execute();
    const broken = await post(admin, '/reconciliations', {});
    t.match(broken.json(), { ledgerBalanced: true, mismatches: [{ accountId: eve.accountId, ledgerBalance: '0.00', storedBalance: '0.01', problem: 'balance_differs' }] });
    const page = await get(admin, '/reconciliations?limit=1');
    t.equal(page.statusCode, 200);
    t.equal(page.json().items[0].id, broken.json().id);
    t.type(page.json().nextCursor, 'string');
    t.equal((await get(shop, '/reconciliations')).statusCode, 403);
    const events = await api.db.selectFrom('outbox').select('type').where('type', '=', 'payments.reconciliation.completed').execute();
    t.equal(events.length, 2, 'each run is announced');
  });
});
