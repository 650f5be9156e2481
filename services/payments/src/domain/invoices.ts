import { fail } from './errors.js';

export type InvoiceStatus = 'open' | 'paid' | 'cancelled';

export interface InvoiceFacts {
  status: InvoiceStatus;
  payeeId: string;
  payerId: string;
  /** A payment above the approval threshold waiting for a second person. */
  pendingTransferId: string | null;
}

/** Only the payer pays, and only an open invoice without a payment already waiting. */
export function checkPayable(invoice: InvoiceFacts, userId: string): void {
  if (invoice.payerId !== userId) fail('payments.not_invoice_payer', 'only the payer can pay this invoice');
  if (invoice.status !== 'open') fail('payments.invoice_not_open', `the invoice is ${invoice.status}`);
  if (invoice.pendingTransferId) fail('payments.invoice_not_open', 'a payment of this invoice awaits approval');
}

/** Only the payee cancels, and only while the invoice is open and nothing is being paid. */
export function checkCancellable(invoice: InvoiceFacts, userId: string): void {
  if (invoice.payeeId !== userId) fail('payments.not_invoice_payee', 'only the payee can cancel this invoice');
  if (invoice.status !== 'open') fail('payments.invoice_not_open', `the invoice is ${invoice.status}`);
  if (invoice.pendingTransferId) fail('payments.invoice_not_open', 'a payment of this invoice awaits approval');
}

/** Overdue is a flag on an open invoice past its due date, announced once. */
export function isOverdue(invoice: { status: InvoiceStatus; dueDate: string; overdueAt: Date | null }, today: string): boolean {
  return invoice.status === 'open' && invoice.overdueAt === null && invoice.dueDate < today;
}
