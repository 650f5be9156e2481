import { uuidv7 } from '@elcorp/contracts';
import { sql } from '@elcorp/db';
import t from 'tap';
import { balanceAt, getAccount, openAccount } from '../../src/application/accounts.js';
import { approveTransfer, rejectTransfer, voidExpiredTransfers } from '../../src/application/approvals.js';
import { onUserErased } from '../../src/application/erasure.js';
import { cancelInvoice, issueInvoice, markOverdueInvoices, payInvoice } from '../../src/application/invoices.js';
import type { Caller } from '../../src/application/ports.js';
import { statement } from '../../src/application/queries.js';
import { receiptOf } from '../../src/application/receipts.js';
import { reconcile } from '../../src/application/reconciliation.js';
import { createDeposit, createTransfer } from '../../src/application/transfers.js';
import { PaymentsError } from '../../src/domain/errors.js';
import { createEvent } from '@elcorp/contracts';
import { ledgerHarness, type Ledger } from './ledger-harness.js';

const codeOf = async (work: Promise<unknown>): Promise<string | undefined> => {
  try {
    await work;
    return undefined;
  } catch (err) {
    if (err instanceof PaymentsError) return err.code;
    throw err;
  }
};

async function deposit(ledger: Ledger, accountId: string, amountMinor: bigint) {
  const staff: Caller = { userId: uuidv7(), actor: null as never };
  return ledger.deps.uow((uow) => createDeposit(ledger.deps, uow, { ...staff, actor: { userId: staff.userId } }, { accountId, amountMinor, currency: 'NAD', reference: 'cash in' }));
}

t.test('registration opens one NAD account, idempotently, and a deposit and transfer post with their events', async (t) => {
  const ledger = await ledgerHarness(t);
  const ana = await ledger.register('Ana Nangolo');
  const ben = await ledger.register('Ben Shikongo');
  t.equal((await ledger.events('payments.account.opened')).length, 2);
  t.equal(await codeOf(openAccount(ledger.deps, ana, 'NAD')), 'payments.account_exists');
  const zar = await openAccount(ledger.deps, ana, 'ZAR');
  t.equal(zar.currency, 'ZAR');

  const dep = await deposit(ledger, ana.accountId, 100_00n);
  t.equal(dep.status, 'posted');
  const sent = await ledger.deps.uow((uow) => createTransfer(ledger.deps, uow, ana, { fromAccountId: ana.accountId, to: { userId: ben.userId }, amountMinor: 30_25n, currency: 'NAD', description: 'lunch' }));
  t.equal(sent.status, 'posted');
  t.equal(sent.amount, '30.25');
  t.equal((await getAccount(ledger.deps, ana, ana.accountId)).balance, '69.75');
  t.equal((await getAccount(ledger.deps, ben, ben.accountId)).balance, '30.25');
  t.same((await ledger.events('payments.transfer.posted'))[0]?.data, { transferId: sent.id, fromAccountId: ana.accountId, toAccountId: ben.accountId, amount: '30.25', currency: 'NAD' });
  t.equal((await ledger.events('payments.deposit.posted')).length, 1);

  const page = await statement(ledger.deps, ana, ana.accountId, { limit: 1 });
  t.match(page.items, [{ direction: 'credit', amount: '100.00', balanceAfter: '100.00' }]);
  const next = await statement(ledger.deps, ana, ana.accountId, { limit: 5, cursor: page.nextCursor! });
  t.match(next.items, [{ direction: 'debit', amount: '30.25', balanceAfter: '69.75', counterpartyAccountId: ben.accountId, description: 'lunch' }]);
  t.equal(next.nextCursor, null);
  t.equal((await balanceAt(ledger.deps, ana, ana.accountId, new Date(Date.now() - 60_000))).balance, '0.00', 'nothing a minute ago');

  const receipt = await receiptOf(ledger.deps, ben, sent.id);
  t.match(receipt, { from: { name: 'A** N******' }, to: { name: 'B** S*******' }, amount: '30.25' });
  t.equal(await codeOf(receiptOf(ledger.deps, await ledger.register(), sent.id)), 'payments.transfer_not_found', 'a stranger gets 404');

  t.equal(await codeOf(ledger.deps.uow((uow) => createTransfer(ledger.deps, uow, ana, { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amountMinor: 70_00n, currency: 'NAD' }))), 'payments.insufficient_funds');
  t.equal(await codeOf(ledger.deps.uow((uow) => createTransfer(ledger.deps, uow, ana, { fromAccountId: ana.accountId, to: { accountId: ana.accountId }, amountMinor: 1n, currency: 'NAD' }))), 'payments.same_account');
  t.equal(await codeOf(ledger.deps.uow((uow) => createTransfer(ledger.deps, uow, ana, { fromAccountId: ana.accountId, to: { accountId: zar.id }, amountMinor: 1n, currency: 'NAD' }))), 'payments.currency_mismatch');
  t.equal(await codeOf(ledger.deps.uow((uow) => createTransfer(ledger.deps, uow, ben, { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amountMinor: 1n, currency: 'NAD' }))), 'payments.account_not_found', "another's account is not found");
  await sql`UPDATE accounts SET status = 'frozen' WHERE id = ${ben.accountId}`.execute(ledger.deps.db);
  t.equal(await codeOf(ledger.deps.uow((uow) => createTransfer(ledger.deps, uow, ana, { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amountMinor: 1n, currency: 'NAD' }))), 'payments.account_inactive');

  const inv = await ledger.invariants();
  t.same(inv.sums, { NAD: 0n });
  t.equal(inv.storedDiffers, 0);
  const rec = await reconcile(ledger.deps, null);
  t.equal(rec.ledgerBalanced, true);
  t.same(rec.mismatches, []);
});

t.test('above the threshold a transfer is held, approved by someone else, rejected, or voided when it expires', async (t) => {
  let clock = new Date();
  const ledger = await ledgerHarness(t, { approvalThreshold: '100.00', approvalExpiryMs: 60_000, now: () => clock });
  const ana = await ledger.register();
  const ben = await ledger.register('Ben B');
  const checker = await ledger.register('Che Cker');
  await deposit(ledger, ana.accountId, 1000_00n);
  const big = () => ledger.deps.uow((uow) => createTransfer(ledger.deps, uow, ana, { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amountMinor: 300_00n, currency: 'NAD' }));
  const held = await big();
  t.equal(held.status, 'pending_approval');
  t.match(await getAccount(ledger.deps, ana, ana.accountId), { balance: '1000.00', heldAmount: '300.00' });
  t.equal(await codeOf(approveTransfer(ledger.deps, ana, held.id)), 'payments.self_approval');
  const posted = await approveTransfer(ledger.deps, checker, held.id);
  t.match(posted, { status: 'posted', approvedBy: checker.userId });
  t.match(await getAccount(ledger.deps, ana, ana.accountId), { balance: '700.00', heldAmount: '0.00' });
  t.equal(await codeOf(approveTransfer(ledger.deps, checker, held.id)), 'payments.transfer_not_pending');

  const second = await big();
  t.match(await rejectTransfer(ledger.deps, checker, second.id, 'looks wrong'), { status: 'rejected' });
  t.match(await getAccount(ledger.deps, ana, ana.accountId), { balance: '700.00', heldAmount: '0.00' });

  const third = await big();
  t.equal(await voidExpiredTransfers(ledger.deps), 0, 'not yet expired');
  clock = new Date(clock.getTime() + 61_000);
  t.equal(await voidExpiredTransfers(ledger.deps), 1);
  t.equal(await codeOf(approveTransfer(ledger.deps, checker, third.id)), 'payments.transfer_not_pending');
  t.match(await getAccount(ledger.deps, ana, ana.accountId), { balance: '700.00', heldAmount: '0.00' });
  t.same((await ledger.events('payments.transfer.rejected')).map((e) => e.data['reason']), ['looks wrong', 'expired']);
  t.equal((await ledger.events('payments.transfer.approved')).length, 1);
  t.equal((await ledger.events('payments.transfer.pending_approval')).length, 3);
  t.same((await ledger.invariants()).sums, { NAD: 0n });
});

t.test('invoices: issue, pay once through a transfer, cancel, flag overdue once across sweepers', async (t) => {
  let clock = new Date('2026-11-30T10:00:00Z');
  const ledger = await ledgerHarness(t, { now: () => clock });
  const shop = await ledger.register('Shop Keeper');
  const payer = await ledger.register('Pay Er');
  await deposit(ledger, payer.accountId, 50_00n);
  const invoice = await issueInvoice(ledger.deps, shop, { payerId: payer.userId, amountMinor: 20_00n, currency: 'NAD', description: 'bread', dueDate: '2026-12-01' });
  t.equal(invoice.status, 'open');
  t.equal(await codeOf(ledger.deps.uow((uow) => payInvoice(ledger.deps, uow, shop, invoice.id, shop.accountId))), 'payments.not_invoice_payer');
  const paid = await ledger.deps.uow((uow) => payInvoice(ledger.deps, uow, payer, invoice.id, payer.accountId));
  t.match(paid, { posted: true, invoice: { status: 'paid' } });
  t.ok(paid.invoice.transferId);
  t.equal(await codeOf(ledger.deps.uow((uow) => payInvoice(ledger.deps, uow, payer, invoice.id, payer.accountId))), 'payments.invoice_not_open');
  t.equal((await getAccount(ledger.deps, shop, shop.accountId)).balance, '20.00');

  const other = await issueInvoice(ledger.deps, shop, { payerId: payer.userId, amountMinor: 5_00n, currency: 'NAD', description: 'milk', dueDate: '2026-12-01' });
  t.equal(await codeOf(cancelInvoice(ledger.deps, payer, other.id)), 'payments.not_invoice_payee');
  t.match(await cancelInvoice(ledger.deps, shop, other.id), { status: 'cancelled' });

  const late = await issueInvoice(ledger.deps, shop, { payerId: payer.userId, amountMinor: 1_00n, currency: 'NAD', description: 'late', dueDate: '2026-12-01' });
  clock = new Date('2026-12-03T00:00:00Z');
  const sweeps = await Promise.all([markOverdueInvoices(ledger.deps), markOverdueInvoices(ledger.deps), markOverdueInvoices(ledger.deps)]);
  t.equal(sweeps.filter((n) => n === 1).length, 1, 'one sweeper flags the invoice');
  t.equal(await markOverdueInvoices(ledger.deps), 0, 'announced once');
  t.same((await ledger.events('payments.invoice.overdue')).map((e) => e.data['invoiceId']), [late.id]);
  t.same((await ledger.events()).filter((e) => e.type.startsWith('payments.invoice')).map((e) => e.type), [
    'payments.invoice.issued',
    'payments.invoice.paid',
    'payments.invoice.issued',
    'payments.invoice.cancelled',
    'payments.invoice.issued',
    'payments.invoice.overdue',
  ]);
});

t.test('erasure keeps accounts and entries and scrubs names and descriptions', async (t) => {
  const ledger = await ledgerHarness(t);
  const ana = await ledger.register('Ana Nangolo');
  const ben = await ledger.register('Ben Shikongo');
  await deposit(ledger, ana.accountId, 10_00n);
  const sent = await ledger.deps.uow((uow) => createTransfer(ledger.deps, uow, ana, { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amountMinor: 1_00n, currency: 'NAD', description: 'for Ana' }));
  const erased = createEvent('identity.user.erased', { subject: { type: 'user', id: ana.userId }, actor: null, data: { userId: ana.userId, by: ana.userId } });
  await ledger.deps.uow((uow) => onUserErased(erased, uow));
  await ledger.deps.uow((uow) => onUserErased(erased, uow));
  const receipt = await receiptOf(ledger.deps, ben, sent.id);
  t.match(receipt, { from: { name: 'Erased user' }, description: null });
  t.equal((await getAccount(ledger.deps, ana, ana.accountId)).balance, '9.00', 'the account stays');
  const rows = await sql<{ n: bigint }>`SELECT count(*)::bigint AS n FROM entries`.execute(ledger.deps.db);
  t.equal(rows.rows[0]?.n, 4n, 'entries stay');
  await t.rejects(sql`UPDATE entries SET amount = 1`.execute(ledger.deps.db), /immutable/, 'entries cannot be changed');
  await t.rejects(sql`DELETE FROM entries`.execute(ledger.deps.db), /immutable/, 'or deleted');
});
