// Every payments method of the SDK through the real gateway, identity, payments and governance.
import t from 'tap';
import { ElcorpApiError, isCode, type Transfer } from '../src/index.js';
import { openPaymentsFleet } from './fleet.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const nobody = '01900000-0000-7000-8000-000000000000';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

t.test('payments through the gateway: accounts, deposits, transfers, approvals, receipts, invoices, reconciliation', async (t) => {
  const fleet = await openPaymentsFleet(t, { PAYMENTS_APPROVAL_THRESHOLD: '100.00' });
  const admin = await fleet.admin();
  t.same(admin.user.roles, ['admin', 'user'], 'the bootstrap admin');
  const ana = await fleet.customer('Ana Nangolo');
  const ben = await fleet.customer('Ben Shikongo');
  const anaMoney = ana.client.payments;

  await t.test('accounts: list own, open, read; others 404; a reconciler reads any', async (t) => {
    t.match(await anaMoney.listAccounts(), { items: [{ id: ana.account.id, ownerId: ana.user.id, currency: 'NAD', balance: '0.00', heldAmount: '0.00', status: 'active' }], nextCursor: null });
    t.match(await anaMoney.openAccount('ZAR'), { ownerId: ana.user.id, currency: 'ZAR', balance: '0.00' });
    await t.rejects(anaMoney.openAccount('ZAR'), { status: 409, code: 'payments.account_exists' });
    t.equal((await anaMoney.getAccount(ana.account.id)).id, ana.account.id);
    await t.rejects(ben.client.payments.getAccount(ana.account.id), { status: 404, code: 'payments.account_not_found' });
    t.equal((await admin.client.payments.getAccount(ana.account.id)).ownerId, ana.user.id);
  });

  const cash = { accountId: ana.account.id, amount: '500.00', currency: 'NAD', reference: 'cash slip 1' } as const;
  let deposit: Transfer | undefined;

  await t.test('deposits: payment:deposit only; a key of its own, replayed with the same key, refused with another body', async (t) => {
    const denied = await anaMoney.deposit(cash).catch((err: unknown) => err);
    t.match(denied, { status: 403, code: 'authz.denied', idempotencyKey: uuid }, 'a user may not deposit; the error names the key it was sent with');
    const first = await admin.client.payments.deposit(cash);
    t.match(first, { result: { status: 'posted', toAccountId: ana.account.id, amount: '500.00', initiatedBy: admin.user.id }, idempotencyKey: uuid, replayed: false });
    deposit = first.result;
    const again = await admin.client.payments.deposit(cash, { idempotencyKey: first.idempotencyKey });
    t.same(again, { ...first, replayed: true }, 'the same key answers the first deposit again');
    await t.rejects(admin.client.payments.deposit({ ...cash, amount: '1.00' }, { idempotencyKey: first.idempotencyKey }), { status: 422, code: 'payments.idempotency_key_reused' });
    for (const amount of ['125.5', '125', '1.005']) {
      await t.rejects(admin.client.payments.deposit({ ...cash, amount }), { status: 422, code: 'validation_failed', errors: [{ path: 'body.amount' }] }, `${amount} NAD is refused`);
    }
    t.equal((await anaMoney.getAccount(ana.account.id)).balance, '500.00', 'money moved once');
  });

  let posted: Transfer | undefined;

  await t.test('transfers: posted, replayed, every refusal typed', async (t) => {
    const sent = await anaMoney.transfer({ fromAccountId: ana.account.id, to: { userId: ben.user.id }, amount: '40.00', currency: 'NAD', description: 'rent share' }, { idempotencyKey: `rent-${ana.user.id}` });
    t.match(sent, { result: { status: 'posted', fromAccountId: ana.account.id, toAccountId: ben.account.id, amount: '40.00', description: 'rent share', approvedBy: null }, idempotencyKey: `rent-${ana.user.id}`, replayed: false });
    posted = sent.result;
    const replay = await anaMoney.transfer({ fromAccountId: ana.account.id, to: { userId: ben.user.id }, amount: '40.00', currency: 'NAD', description: 'rent share' }, { idempotencyKey: sent.idempotencyKey });
    t.equal(replay.result.id, posted.id, 'the same key gives the same transfer');
    t.equal(replay.replayed, true);
    t.equal((await anaMoney.getAccount(ana.account.id)).balance, '460.00', 'debited once');

    const broke = await ben.client.payments.transfer({ fromAccountId: ben.account.id, to: { accountId: ana.account.id }, amount: '50.00', currency: 'NAD' }).catch((err: unknown) => err);
    t.ok(broke instanceof ElcorpApiError && isCode(broke, 'payments.insufficient_funds'), String(broke));
    t.match(broke, { status: 422, idempotencyKey: uuid });
    const zar = (await anaMoney.listAccounts()).items.find((a) => a.currency === 'ZAR')!;
    await t.rejects(anaMoney.transfer({ fromAccountId: ana.account.id, to: { accountId: zar.id }, amount: '1.00', currency: 'NAD' }), { status: 422, code: 'payments.currency_mismatch' });
    await t.rejects(anaMoney.transfer({ fromAccountId: ana.account.id, to: { accountId: ana.account.id }, amount: '1.00', currency: 'NAD' }), { status: 422, code: 'payments.same_account' });
    await t.rejects(anaMoney.transfer({ fromAccountId: ana.account.id, to: { accountId: nobody }, amount: '1.00', currency: 'NAD' }), { status: 404, code: 'payments.account_not_found' });
    await t.rejects(anaMoney.transfer({ fromAccountId: ana.account.id, to: { accountId: ben.account.id }, amount: '1.5', currency: 'NAD' }), { status: 422, code: 'validation_failed' });
  });

  await t.test('above the threshold: held, then approved by another person or rejected', async (t) => {
    const big = { fromAccountId: ana.account.id, to: { accountId: ben.account.id }, amount: '150.00', currency: 'NAD' } as const;
    const held = (await anaMoney.transfer(big)).result;
    t.equal(held.status, 'pending_approval');
    t.match(await anaMoney.getAccount(ana.account.id), { balance: '460.00', heldAmount: '150.00' });
    await t.rejects(anaMoney.approveTransfer(held.id), { status: 403, code: 'authz.denied' }, 'a user cannot approve');
    t.match(await admin.client.payments.approveTransfer(held.id), { id: held.id, status: 'posted', approvedBy: admin.user.id });

    const second = (await anaMoney.transfer({ ...big, amount: '120.00' })).result;
    t.match(await admin.client.payments.rejectTransfer(second.id, 'not today'), { id: second.id, status: 'rejected' });
    t.match(await anaMoney.getAccount(ana.account.id), { balance: '310.00', heldAmount: '0.00' }, 'the hold is released');

    await admin.client.payments.deposit({ accountId: admin.account.id, amount: '200.00', currency: 'NAD', reference: 'float' });
    const own = (await admin.client.payments.transfer({ fromAccountId: admin.account.id, to: { accountId: ben.account.id }, amount: '150.00', currency: 'NAD' })).result;
    await t.rejects(admin.client.payments.approveTransfer(own.id), { status: 403, code: 'payments.self_approval' });
    await admin.client.payments.rejectTransfer(own.id, 'own transfer');
    t.match(await ben.client.payments.getAccount(ben.account.id), { balance: '190.00' });
  });

  await t.test('reads: transfer by a party, lists page by page, statement, balance at an instant, receipts', async (t) => {
    t.equal((await ben.client.payments.getTransfer(posted!.id)).id, posted!.id, 'the payee reads it');
    const all = await anaMoney.listTransfers({ limit: 100 });
    t.equal(all.nextCursor, null);
    t.ok(all.items.length >= 4, 'deposit, transfer, approved and rejected');
    const first = await anaMoney.listTransfers({ limit: 1 });
    t.equal(first.items.length, 1);
    t.type(first.nextCursor, 'string');
    t.same((await collect(anaMoney.eachTransfer({ limit: 1 }))).map((x) => x.id), all.items.map((x) => x.id), 'one item a page, every one once');
    t.match((await anaMoney.listTransfers({ status: 'rejected' })).items, [{ status: 'rejected', amount: '120.00' }]);

    const entries = await collect(anaMoney.eachStatementEntry(ana.account.id, { limit: 2 }));
    t.same(entries.map((e) => `${e.direction} ${e.amount}`).sort(), ['credit 500.00', 'debit 150.00', 'debit 40.00']);
    t.equal((await anaMoney.statement(ana.account.id, { limit: 2 })).items.length, 2);

    t.match(await anaMoney.balanceAt(ana.account.id, new Date()), { accountId: ana.account.id, currency: 'NAD', balance: '310.00' });
    const beforeDeposit = new Date(Date.parse(deposit!.postedAt!) - 1);
    t.match(await anaMoney.balanceAt(ana.account.id, beforeDeposit), { balance: '0.00' }, 'nothing was posted before the deposit');

    t.match(await ben.client.payments.receipt(posted!.id), { transferId: posted!.id, status: 'posted', amount: '40.00', currency: 'NAD', from: { accountId: ana.account.id }, to: { accountId: ben.account.id } });
    const pdf = await anaMoney.receiptPdf(posted!.id);
    t.ok(pdf instanceof Uint8Array && pdf.length > 500, 'PDF bytes');
    t.equal(Buffer.from(pdf.subarray(0, 5)).toString('latin1'), '%PDF-');
    await t.rejects(ben.client.payments.receipt(nobody), { status: 404, code: 'payments.transfer_not_found' });
  });

  await t.test('invoices: issue, list as payee and payer, pay once (replayed), not twice, cancel', async (t) => {
    const bread = await ben.client.payments.issueInvoice({ payerId: ana.user.id, amount: '25.00', currency: 'NAD', description: 'bread', dueDate: '2099-01-01' });
    t.match(bread, { payeeId: ben.user.id, payerId: ana.user.id, amount: '25.00', status: 'open', transferId: null });
    t.match((await anaMoney.listInvoices({ role: 'payer' })).items, [{ id: bread.id }]);
    t.equal((await anaMoney.getInvoice(bread.id)).description, 'bread');
    const paid = await anaMoney.payInvoice(bread.id, { fromAccountId: ana.account.id });
    t.match(paid, { result: { id: bread.id, status: 'paid', transferId: uuid }, idempotencyKey: uuid, replayed: false });
    t.match(await anaMoney.payInvoice(bread.id, { fromAccountId: ana.account.id }, { idempotencyKey: paid.idempotencyKey }), { result: { status: 'paid' }, replayed: true });
    await t.rejects(anaMoney.payInvoice(bread.id, { fromAccountId: ana.account.id }), { status: 422, code: 'payments.invoice_not_open' });
    t.equal((await anaMoney.getAccount(ana.account.id)).balance, '285.00', 'paid once');

    const milk = await ben.client.payments.issueInvoice({ payerId: ana.user.id, amount: '5.00', currency: 'NAD', description: 'milk', dueDate: '2099-01-01' });
    t.match(await ben.client.payments.cancelInvoice(milk.id), { id: milk.id, status: 'cancelled' });
    t.same((await collect(ben.client.payments.eachInvoice({ limit: 1 }))).map((i) => i.id).sort(), [bread.id, milk.id].sort());
  });

  await t.test('reconciliation: payment:reconcile only; the ledger balances', async (t) => {
    await t.rejects(anaMoney.reconcile(), { status: 403, code: 'authz.denied' });
    const run = await admin.client.payments.reconcile();
    t.match(run, { id: uuid, mismatches: [], ledgerBalanced: true });
    t.ok(run.accountsChecked >= 4);
    t.match((await admin.client.payments.listReconciliations()).items, [{ id: run.id }]);
    t.same((await collect(admin.client.payments.eachReconciliation({ limit: 1 }))).map((r) => r.id), [run.id]);
    await t.rejects(anaMoney.listReconciliations(), { status: 403, code: 'authz.denied' });
  });
});
