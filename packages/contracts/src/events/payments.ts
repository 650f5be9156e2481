import { z } from 'zod';
import { defineEvent } from '../define.js';
import { amount, currency, id } from './common.js';

const approval = z.strictObject({
  transferId: id,
  amount,
  currency,
  initiatedBy: id,
  approvedBy: id.optional(),
  reason: z.string().max(500).optional(),
});
const invoice = z.strictObject({ invoiceId: id, payeeId: id, payerId: id, amount, currency, transferId: id.optional() });

export const paymentsEvents = [
  defineEvent({ type: 'payments.account.opened', version: 1, data: z.strictObject({ accountId: id, ownerId: id, currency }) }),
  defineEvent({
    type: 'payments.deposit.posted',
    version: 1,
    data: z.strictObject({ transferId: id, accountId: id, amount, currency, reference: z.string().max(140) }),
  }),
  defineEvent({
    type: 'payments.transfer.posted',
    version: 1,
    data: z.strictObject({ transferId: id, fromAccountId: id, toAccountId: id, amount, currency }),
  }),
  defineEvent({ type: 'payments.transfer.pending_approval', version: 1, data: approval }),
  defineEvent({ type: 'payments.transfer.approved', version: 1, data: approval }),
  defineEvent({ type: 'payments.transfer.rejected', version: 1, data: approval }),
  defineEvent({ type: 'payments.invoice.issued', version: 1, data: invoice }),
  defineEvent({ type: 'payments.invoice.paid', version: 1, data: invoice }),
  defineEvent({ type: 'payments.invoice.cancelled', version: 1, data: invoice }),
  defineEvent({ type: 'payments.invoice.overdue', version: 1, data: invoice }),
  defineEvent({
    type: 'payments.reconciliation.completed',
    version: 1,
    data: z.strictObject({ reconciliationId: id, accountsChecked: z.number().int().min(0), mismatches: z.number().int().min(0), ledgerBalanced: z.boolean() }),
  }),
] as const;
