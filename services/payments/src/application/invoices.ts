import { createEvent, uuidv7, type DomainEvent } from '@elcorp/contracts';
import { sql } from '@elcorp/db';
import { fail } from '../domain/errors.js';
import { checkCancellable, checkPayable, type InvoiceStatus } from '../domain/invoices.js';
import { formatAmount, type Currency } from '../domain/money.js';
import { checkTransfer } from '../domain/transfers.js';
import type { Caller, PaymentsDeps, PaymentsUow } from './ports.js';
import type { Page } from './queries.js';
import { destinationAccount, move } from './transfers.js';
import { decodeCursor, encodeCursor } from './views.js';

export interface InvoiceView {
  id: string;
  payeeId: string;
  payerId: string;
  amount: string;
  currency: Currency;
  description: string | null;
  dueDate: string;
  status: InvoiceStatus;
  overdue: boolean;
  transferId: string | null;
  createdAt: string;
  paidAt: string | null;
  cancelledAt: string | null;
}

const invoiceColumns = [
  'id',
  'payee_id',
  'payer_id',
  'amount',
  'currency',
  'description',
  sql<string>`to_char(due_date, 'YYYY-MM-DD')`.as('due'),
  'status',
  'overdue_at',
  'transfer_id',
  'pending_transfer_id',
  'created_at',
  'paid_at',
  'cancelled_at',
] as const;

type InvoiceRow = {
  id: string;
  payee_id: string;
  payer_id: string;
  amount: bigint;
  currency: Currency;
  description: string | null;
  due: string;
  status: InvoiceStatus;
  overdue_at: Date | null;
  transfer_id: string | null;
  pending_transfer_id: string | null;
  created_at: Date;
  paid_at: Date | null;
  cancelled_at: Date | null;
};

function toInvoiceView(row: InvoiceRow): InvoiceView {
  return {
    id: row.id,
    payeeId: row.payee_id,
    payerId: row.payer_id,
    amount: formatAmount(row.amount, row.currency),
    currency: row.currency,
    description: row.description,
    dueDate: row.due,
    status: row.status,
    overdue: row.overdue_at !== null,
    transferId: row.transfer_id ?? row.pending_transfer_id,
    createdAt: row.created_at.toISOString(),
    paidAt: row.paid_at?.toISOString() ?? null,
    cancelledAt: row.cancelled_at?.toISOString() ?? null,
  };
}

function invoiceEvent(type: 'payments.invoice.issued' | 'payments.invoice.paid' | 'payments.invoice.cancelled' | 'payments.invoice.overdue', row: InvoiceRow, actor: Caller['actor'] | null): DomainEvent {
  return createEvent(type, {
    subject: { type: 'invoice', id: row.id },
    actor,
    data: {
      invoiceId: row.id,
      payeeId: row.payee_id,
      payerId: row.payer_id,
      amount: formatAmount(row.amount, row.currency),
      currency: row.currency,
      ...(row.transfer_id ? { transferId: row.transfer_id } : {}),
    },
  });
}

export interface IssueInvoice {
  payerId: string;
  amountMinor: bigint;
  currency: Currency;
  description: string;
  dueDate: string;
}

/** POST /invoices: the caller is the payee; the payer must be a user payments knows. */
export async function issueInvoice(deps: PaymentsDeps, caller: Caller, request: IssueInvoice): Promise<InvoiceView> {
  if (request.payerId === caller.userId) fail('payments.invalid_input', 'you cannot invoice yourself', 'payerId');
  if (request.dueDate < deps.now().toISOString().slice(0, 10)) fail('payments.invalid_input', 'the due date has passed', 'dueDate');
  return deps.uow(async (uow) => {
    const payer = await uow.trx.selectFrom('parties').select('user_id').where('user_id', '=', request.payerId).where('erased_at', 'is', null).executeTakeFirst();
    if (!payer) fail('payments.invalid_input', 'no such payer', 'payerId');
    const row = await uow.trx
      .insertInto('invoices')
      .values({
        id: uuidv7(),
        payee_id: caller.userId,
        payer_id: request.payerId,
        amount: request.amountMinor,
        currency: request.currency,
        description: request.description,
        due_date: request.dueDate,
        transfer_id: null,
        pending_transfer_id: null,
        overdue_at: null,
        created_at: deps.now(),
        paid_at: null,
        cancelled_at: null,
      })
      .returning(invoiceColumns)
      .executeTakeFirstOrThrow();
    uow.record(invoiceEvent('payments.invoice.issued', row, caller.actor));
    return toInvoiceView(row);
  });
}

async function lockInvoice(uow: PaymentsUow, caller: Caller, invoiceId: string): Promise<InvoiceRow> {
  const row = await uow.trx.selectFrom('invoices').select(invoiceColumns).where('id', '=', invoiceId).forUpdate().executeTakeFirst();
  if (!row || (row.payee_id !== caller.userId && row.payer_id !== caller.userId)) return fail('payments.invoice_not_found', 'no such invoice');
  return row;
}

const facts = (row: InvoiceRow) => ({ status: row.status, payeeId: row.payee_id, payerId: row.payer_id, pendingTransferId: row.pending_transfer_id });

/**
 * POST /invoices/{id}/pay: one transfer from the payer's account to the payee's account in
 * the invoice's currency. Above the approval threshold the transfer is held like any other
 * and the invoice is paid when it is approved. `posted` says which happened.
 */
export async function payInvoice(deps: PaymentsDeps, uow: PaymentsUow, caller: Caller, invoiceId: string, fromAccountId: string): Promise<{ invoice: InvoiceView; posted: boolean }> {
  const invoice = await lockInvoice(uow, caller, invoiceId);
  checkPayable(facts(invoice), caller.userId);
  const from = await uow.trx.selectFrom('accounts').select(['id', 'kind', 'owner_id as ownerId', 'currency', 'status']).where('id', '=', fromAccountId).where('owner_id', '=', caller.userId).executeTakeFirst();
  if (!from) return fail('payments.account_not_found', 'no such source account among yours', 'fromAccountId');
  const to = await destinationAccount(uow, { userId: invoice.payee_id }, invoice.currency);
  checkTransfer(from, to, invoice.currency);
  const transfer = await move(deps, uow, caller, from, to, invoice.amount, { kind: 'transfer', description: invoice.description, invoiceId: invoice.id, makerChecker: true });
  const posted = transfer.status === 'posted';
  const row = await uow.trx
    .updateTable('invoices')
    .set(posted ? { status: 'paid', transfer_id: transfer.id, paid_at: deps.now() } : { pending_transfer_id: transfer.id })
    .where('id', '=', invoice.id)
    .returning(invoiceColumns)
    .executeTakeFirstOrThrow();
  if (posted) uow.record(invoiceEvent('payments.invoice.paid', row, caller.actor));
  return { invoice: toInvoiceView(row), posted };
}

/** POST /invoices/{id}/cancel: the payee withdraws an open invoice. */
export function cancelInvoice(deps: PaymentsDeps, caller: Caller, invoiceId: string): Promise<InvoiceView> {
  return deps.uow(async (uow) => {
    const invoice = await lockInvoice(uow, caller, invoiceId);
    checkCancellable(facts(invoice), caller.userId);
    const row = await uow.trx.updateTable('invoices').set({ status: 'cancelled', cancelled_at: deps.now() }).where('id', '=', invoice.id).returning(invoiceColumns).executeTakeFirstOrThrow();
    uow.record(invoiceEvent('payments.invoice.cancelled', row, caller.actor));
    return toInvoiceView(row);
  });
}

export async function getInvoice(deps: PaymentsDeps, caller: Caller, invoiceId: string): Promise<InvoiceView> {
  const row = await deps.db.selectFrom('invoices').select(invoiceColumns).where('id', '=', invoiceId).executeTakeFirst();
  if (!row || (row.payee_id !== caller.userId && row.payer_id !== caller.userId)) return fail('payments.invoice_not_found', 'no such invoice');
  return toInvoiceView(row);
}

/** GET /invoices?role=payer|payee: newest first. */
export async function listInvoices(deps: PaymentsDeps, caller: Caller, query: { role: 'payer' | 'payee'; limit: number; cursor?: string | undefined }): Promise<Page<InvoiceView>> {
  const after = decodeCursor(query.cursor);
  if (after !== undefined && !/^[0-9a-f-]{36}$/.test(after)) fail('payments.invalid_input', 'the cursor is not one this list handed out', 'cursor');
  let select = deps.db.selectFrom('invoices').select(invoiceColumns).where(query.role === 'payer' ? 'payer_id' : 'payee_id', '=', caller.userId);
  if (after) select = select.where('id', '<', after);
  const rows = await select.orderBy('id', 'desc').limit(query.limit + 1).execute();
  const items = rows.slice(0, query.limit).map(toInvoiceView);
  return { items, nextCursor: rows.length > query.limit ? encodeCursor(items.at(-1)!.id) : null };
}

/** The advisory lock id of the overdue sweep: one replica sweeps, the others skip. */
const overdueSweepLock = 0x70617931n;

/**
 * Flags open invoices past their due date and announces each once. Every replica runs the
 * schedule; a transaction-scoped advisory lock lets exactly one sweep at a time.
 */
export async function markOverdueInvoices(deps: PaymentsDeps, batchMax = 500): Promise<number | 'skipped'> {
  return deps.uow(async (uow) => {
    const { rows: lock } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${overdueSweepLock}) AS locked`.execute(uow.trx);
    if (!lock[0]?.locked) return 'skipped';
    const today = deps.now().toISOString().slice(0, 10);
    const due = await uow.trx
      .selectFrom('invoices')
      .select('id')
      .where('status', '=', 'open')
      .where('overdue_at', 'is', null)
      .where('due_date', '<', today)
      // Rows are locked in id order, as erasure locks them: two sweeps of many rows cannot cross.
      .orderBy('id')
      .limit(batchMax)
      .forUpdate()
      .execute();
    if (due.length === 0) return 0;
    const rows = await uow.trx
      .updateTable('invoices')
      .set({ overdue_at: deps.now() })
      .where('id', 'in', due.map((r) => r.id))
      .returning(invoiceColumns)
      .execute();
    uow.record(...rows.map((row) => invoiceEvent('payments.invoice.overdue', row, null)));
    return rows.length;
  });
}
