import fc from 'fast-check';
import t from 'tap';
import type { AccountFacts } from '../../src/domain/accounts.js';
import { coversDebit } from '../../src/domain/accounts.js';
import { PaymentsError } from '../../src/domain/errors.js';
import { checkCancellable, checkPayable, isOverdue } from '../../src/domain/invoices.js';
import { maskName } from '../../src/domain/names.js';
import { checkTransfer, decidePending, needsApproval, type ApprovalDecision, type TransferStatus } from '../../src/domain/transfers.js';

const account = (over: Partial<AccountFacts> = {}): AccountFacts => ({ id: 'a', kind: 'user', ownerId: 'u', currency: 'NAD', status: 'active', ...over });
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof PaymentsError) return err.code;
    throw err;
  }
};

t.test('transfer checks name the broken rule', async (t) => {
  t.equal(codeOf(() => checkTransfer(account(), account(), 'NAD')), 'payments.same_account');
  t.equal(codeOf(() => checkTransfer(account(), account({ id: 'b', currency: 'ZAR' }), 'NAD')), 'payments.currency_mismatch');
  t.equal(codeOf(() => checkTransfer(account(), account({ id: 'b' }), 'USD')), 'payments.currency_mismatch');
  t.equal(codeOf(() => checkTransfer(account({ status: 'frozen' }), account({ id: 'b' }), 'NAD')), 'payments.account_inactive');
  t.equal(codeOf(() => checkTransfer(account(), account({ id: 'b', status: 'frozen' }), 'NAD')), 'payments.account_inactive');
  t.equal(codeOf(() => checkTransfer(account(), account({ id: 'b' }), 'NAD')), undefined);
});

t.test('user accounts never cover more than they hold; the treasury always does', async (t) => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 15n }), (available, amount) => {
      return coversDebit('user', available, amount) === available >= amount && coversDebit('treasury', available, amount);
    }),
  );
  t.pass();
});

t.test('maker-checker: strictly above the threshold waits', async (t) => {
  t.equal(needsApproval(5_000_000n, 5_000_000n), false);
  t.equal(needsApproval(5_000_001n, 5_000_000n), true);
});

t.test('a held transfer moves once, to posted, rejected or voided, never approved by its initiator', async (t) => {
  const statuses: TransferStatus[] = ['posted', 'pending_approval', 'rejected', 'voided'];
  fc.assert(
    fc.property(fc.constantFrom(...statuses), fc.constantFrom<ApprovalDecision>('approve', 'reject', 'void'), fc.boolean(), (status, decision, self) => {
      const code = codeOf(() => decidePending({ status, initiatedBy: 'maker' }, decision, self ? 'maker' : 'checker'));
      if (status !== 'pending_approval') return code === 'payments.transfer_not_pending';
      if (decision === 'approve' && self) return code === 'payments.self_approval';
      return code === undefined;
    }),
  );
  t.equal(decidePending({ status: 'pending_approval', initiatedBy: 'm' }, 'approve', 'c'), 'posted');
  t.equal(decidePending({ status: 'pending_approval', initiatedBy: 'm' }, 'reject', 'm'), 'rejected', 'an initiator may withdraw by rejecting');
  t.equal(decidePending({ status: 'pending_approval', initiatedBy: 'm' }, 'void', null), 'voided');
});

t.test('invoices: payer pays, payee cancels, only while open', async (t) => {
  const open = { status: 'open' as const, payeeId: 'payee', payerId: 'payer', pendingTransferId: null };
  t.equal(codeOf(() => checkPayable(open, 'payer')), undefined);
  t.equal(codeOf(() => checkPayable(open, 'payee')), 'payments.not_invoice_payer');
  t.equal(codeOf(() => checkPayable({ ...open, status: 'paid' }, 'payer')), 'payments.invoice_not_open');
  t.equal(codeOf(() => checkPayable({ ...open, pendingTransferId: 'x' }, 'payer')), 'payments.invoice_not_open');
  t.equal(codeOf(() => checkCancellable(open, 'payee')), undefined);
  t.equal(codeOf(() => checkCancellable(open, 'payer')), 'payments.not_invoice_payee');
  t.equal(codeOf(() => checkCancellable({ ...open, status: 'cancelled' }, 'payee')), 'payments.invoice_not_open');
  t.equal(isOverdue({ status: 'open', dueDate: '2026-11-29', overdueAt: null }, '2026-11-30'), true);
  t.equal(isOverdue({ status: 'open', dueDate: '2026-11-30', overdueAt: null }, '2026-11-30'), false, 'due today is not overdue');
  t.equal(isOverdue({ status: 'open', dueDate: '2026-11-01', overdueAt: new Date() }, '2026-11-30'), false, 'announced once');
  t.equal(isOverdue({ status: 'paid', dueDate: '2026-11-01', overdueAt: null }, '2026-11-30'), false);
});

t.test('names are masked like identity masks them', async (t) => {
  t.equal(maskName('Ana Nangolo'), 'A** N******');
  t.equal(maskName('  Bo  '), 'B*');
  t.equal(maskName('Ñandú Ö'), 'Ñ**** Ö*');
});
