import { createEvent } from '@elcorp/contracts';
import { sql } from '@elcorp/db';
import { fail } from '../domain/errors.js';
import { formatAmount } from '../domain/money.js';
import { decidePending, type ApprovalDecision } from '../domain/transfers.js';
import { appendEntries, credit, releaseHold, settleHold } from '../infrastructure/db/ledger.js';
import type { Caller, PaymentsDeps, PaymentsUow } from './ports.js';
import { toTransferView, transferColumns, type TransferView } from './views.js';

/** The transfer row locked for a decision: approve, reject and the expiry sweep queue here. */
async function lockTransfer(uow: PaymentsUow, transferId: string) {
  const row = await uow.trx.selectFrom('transfers').select([...transferColumns, 'transfers.invoice_id']).where('id', '=', transferId).forUpdate().executeTakeFirst();
  return row ?? fail('payments.transfer_not_found', 'no such transfer');
}

type Locked = Awaited<ReturnType<typeof lockTransfer>>;

async function decide(deps: PaymentsDeps, uow: PaymentsUow, transfer: Locked, decision: ApprovalDecision, decider: Caller | null, reason: string | null): Promise<TransferView> {
  const status = decidePending({ status: transfer.status, initiatedBy: transfer.initiated_by }, decision, decider?.userId ?? null);
  const now = deps.now();
  const trx = uow.trx;
  // Lock order everywhere: transfer, invoice, account row (see migrations/0001_ledger.sql).
  if (transfer.invoice_id) await trx.selectFrom('invoices').select('id').where('id', '=', transfer.invoice_id).forUpdate().execute();
  if (status === 'posted') {
    await settleHold(trx, transfer.from_account_id, transfer.amount);
    await credit(trx, transfer.to_account_id, transfer.amount);
    await appendEntries(trx, { id: transfer.id, fromAccountId: transfer.from_account_id, toAccountId: transfer.to_account_id, amount: transfer.amount });
  } else {
    await releaseHold(trx, transfer.from_account_id, transfer.amount);
  }
  const updated = await trx
    .updateTable('transfers')
    .set({ status, decided_at: now, reason, ...(status === 'posted' ? { posted_at: now, approved_by: decider?.userId ?? null } : {}) })
    .where('id', '=', transfer.id)
    .returning(transferColumns)
    .executeTakeFirstOrThrow();
  const amount = formatAmount(transfer.amount, transfer.currency);
  const subject = { type: 'transfer', id: transfer.id };
  const actor = decider?.actor ?? null;
  const approval = { transferId: transfer.id, amount, currency: transfer.currency, initiatedBy: transfer.initiated_by ?? '' };
  if (status === 'posted') {
    uow.record(
      createEvent('payments.transfer.approved', { subject, actor, data: { ...approval, approvedBy: decider?.userId ?? '' } }),
      createEvent('payments.transfer.posted', { subject, actor, data: { transferId: transfer.id, fromAccountId: transfer.from_account_id, toAccountId: transfer.to_account_id, amount, currency: transfer.currency } }),
    );
  } else {
    uow.record(createEvent('payments.transfer.rejected', { subject, actor, data: { ...approval, ...(reason ? { reason } : {}) } }));
  }
  if (transfer.invoice_id) await settleInvoice(uow, transfer.invoice_id, transfer.id, status === 'posted', now, actor);
  return toTransferView(updated);
}

/** A held invoice payment decided: paid with the transfer, or open again to be paid anew. */
async function settleInvoice(uow: PaymentsUow, invoiceId: string, transferId: string, paid: boolean, now: Date, actor: Caller['actor'] | null): Promise<void> {
  const invoice = await uow.trx
    .updateTable('invoices')
    .set(paid ? { status: 'paid', transfer_id: transferId, pending_transfer_id: null, paid_at: now } : { pending_transfer_id: null })
    .where('id', '=', invoiceId)
    .returning(['id', 'payee_id', 'payer_id', 'amount', 'currency'])
    .executeTakeFirstOrThrow();
  if (!paid) return;
  uow.record(
    createEvent('payments.invoice.paid', {
      subject: { type: 'invoice', id: invoice.id },
      actor,
      data: { invoiceId: invoice.id, payeeId: invoice.payee_id, payerId: invoice.payer_id, amount: formatAmount(invoice.amount, invoice.currency), currency: invoice.currency, transferId },
    }),
  );
}

/** POST /transfers/{id}/approve (payment:approve, not the initiator): posts the held money. */
export function approveTransfer(deps: PaymentsDeps, caller: Caller, transferId: string): Promise<TransferView> {
  return deps.uow(async (uow) => decide(deps, uow, await lockTransfer(uow, transferId), 'approve', caller, null));
}

/** POST /transfers/{id}/reject (payment:approve): releases the hold. */
export function rejectTransfer(deps: PaymentsDeps, caller: Caller, transferId: string, reason: string): Promise<TransferView> {
  return deps.uow(async (uow) => decide(deps, uow, await lockTransfer(uow, transferId), 'reject', caller, reason));
}

/**
 * Voids held transfers nobody decided in time, one per transaction so a sweep never holds two
 * account rows (two sweepers would otherwise lock them in opposite orders). Safe on every
 * replica at once: SKIP LOCKED hands each expired transfer to one sweeper, and one being
 * approved right now is skipped.
 */
export async function voidExpiredTransfers(deps: PaymentsDeps, batchMax = 100): Promise<number> {
  let voided = 0;
  while (voided < batchMax) {
    const done = await deps.uow(async (uow) => {
      const { rows } = await sql<{ id: string }>`
        SELECT id FROM transfers WHERE status = 'pending_approval' AND expires_at <= ${deps.now()}
        ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED`.execute(uow.trx);
      const expired = rows[0];
      if (!expired) return false;
      await decide(deps, uow, await lockTransfer(uow, expired.id), 'void', null, 'expired');
      return true;
    });
    if (!done) break;
    voided += 1;
  }
  return voided;
}
