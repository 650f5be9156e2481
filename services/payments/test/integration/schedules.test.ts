import { uuidv7 } from '@elcorp/contracts';
import t from 'tap';
import { approveTransfer, rejectTransfer } from '../../src/application/approvals.js';
import { fingerprintOf, purgeIdempotencyKeys, runIdempotent } from '../../src/application/idempotency.js';
import { getInvoice, issueInvoice, payInvoice } from '../../src/application/invoices.js';
import type { Caller } from '../../src/application/ports.js';
import { reconcileIfDue } from '../../src/application/reconciliation.js';
import { createDeposit } from '../../src/application/transfers.js';
import { ledgerHarness } from './ledger-harness.js';

const staff: Caller = { userId: uuidv7(), actor: { userId: uuidv7() } };

t.test('an invoice above the threshold is paid when its held transfer is approved, and payable again after a rejection', async (t) => {
  const ledger = await ledgerHarness(t, { approvalThreshold: '100.00' });
  const shop = await ledger.register('Shop Keeper');
  const payer = await ledger.register('Pay Er');
  const checker = await ledger.register('Che Cker');
  await ledger.deps.uow((uow) => createDeposit(ledger.deps, uow, staff, { accountId: payer.accountId, amountMinor: 1000_00n, currency: 'NAD', reference: 'x' }));
  const invoice = await issueInvoice(ledger.deps, shop, { payerId: payer.userId, amountMinor: 300_00n, currency: 'NAD', description: 'sofa', dueDate: '2099-01-01' });
  const first = await ledger.deps.uow((uow) => payInvoice(ledger.deps, uow, payer, invoice.id, payer.accountId));
  t.match(first, { posted: false, invoice: { status: 'open' } });
  await t.rejects(ledger.deps.uow((uow) => payInvoice(ledger.deps, uow, payer, invoice.id, payer.accountId)), { code: 'payments.invoice_not_open' }, 'no second payment while one waits');
  await rejectTransfer(ledger.deps, checker, first.invoice.transferId!, 'call first');
  t.match(await getInvoice(ledger.deps, shop, invoice.id), { status: 'open', transferId: null });
  const second = await ledger.deps.uow((uow) => payInvoice(ledger.deps, uow, payer, invoice.id, payer.accountId));
  await approveTransfer(ledger.deps, checker, second.invoice.transferId!);
  t.match(await getInvoice(ledger.deps, shop, invoice.id), { status: 'paid', transferId: second.invoice.transferId });
  t.equal((await ledger.events('payments.invoice.paid')).length, 1);
});

t.test('the daily reconciliation runs once a day whatever the replicas', async (t) => {
  let clock = new Date('2026-11-30T00:00:00Z');
  const ledger = await ledgerHarness(t, { now: () => clock });
  const runs = await Promise.all([reconcileIfDue(ledger.deps), reconcileIfDue(ledger.deps), reconcileIfDue(ledger.deps)]);
  t.equal(runs.filter(Boolean).length, 1, 'one replica reconciles');
  t.equal(await reconcileIfDue(ledger.deps), undefined, 'not again the same day');
  clock = new Date(Date.now() + 25 * 60 * 60 * 1000);
  t.ok(await reconcileIfDue(ledger.deps), 'the next day');
  t.equal((await ledger.events('payments.reconciliation.completed')).length, 2);
});

t.test('idempotency keys are kept 24 h, then purged and usable again', async (t) => {
  let clock = new Date();
  const ledger = await ledgerHarness(t, { now: () => clock });
  const request = { userId: uuidv7(), key: 'k', fingerprint: fingerprintOf('POST', '/x', { a: 1 }) };
  const work = async () => ({ status: 201, body: { n: 1 } });
  const refuse = () => ({ status: 422, body: {} });
  t.equal((await runIdempotent(ledger.deps, request, work, refuse)).replayed, false);
  clock = new Date(clock.getTime() + 23 * 60 * 60 * 1000);
  t.equal(await purgeIdempotencyKeys(ledger.deps), 0, 'kept for a day');
  t.equal((await runIdempotent(ledger.deps, request, work, refuse)).replayed, true);
  clock = new Date(clock.getTime() + 2 * 60 * 60 * 1000);
  t.equal((await runIdempotent(ledger.deps, { ...request, fingerprint: 'another' }, work, refuse)).replayed, false, 'an expired key is a new request');
  clock = new Date(clock.getTime() + 25 * 60 * 60 * 1000);
  t.equal(await purgeIdempotencyKeys(ledger.deps), 1);
});
