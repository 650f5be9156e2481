import { z } from 'zod';
import { cursorSchema, idSchema, pageLimitSchema, pageSchema, timestampSchema } from './common.js';
import { amountRuleMessage, currencySchema, toMinorUnits, type Currency } from './money.js';

// Payments' public requests and responses (API.md, "Payments"). Amounts are decimal strings
// checked against their currency's exponent (money.ts); bodies are strict.

// Fields
export const amountTextSchema = z.string().max(32);
export const transferStatuses = ['posted', 'pending_approval', 'rejected'] as const;
export const invoiceStatuses = ['open', 'paid', 'cancelled'] as const;
/** 1–255 visible ASCII characters (API.md, Idempotency). */
export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/);

/** A body's `amount` must be a valid amount of the same body's `currency`. */
function withAmount<S extends z.ZodObject<{ amount: typeof amountTextSchema; currency: typeof currencySchema }>>(body: S) {
  return body.refine((value: { amount: string; currency: Currency }) => toMinorUnits(value.amount, value.currency) !== undefined, {
    path: ['amount'],
    message: amountRuleMessage,
  });
}

// Responses
export const accountSchema = z.object({
  id: idSchema,
  ownerId: idSchema.nullable(),
  currency: currencySchema,
  balance: z.string(),
  heldAmount: z.string(),
  status: z.enum(['active', 'frozen']),
  createdAt: timestampSchema,
});
export const accountPageSchema = pageSchema(accountSchema);
export const balanceAtSchema = z.object({ accountId: idSchema, currency: currencySchema, balance: z.string(), at: timestampSchema });

export const transferSchema = z.object({
  id: idSchema,
  status: z.enum(transferStatuses),
  fromAccountId: idSchema,
  toAccountId: idSchema,
  amount: z.string(),
  currency: currencySchema,
  description: z.string().nullable(),
  initiatedBy: idSchema.nullable(),
  approvedBy: idSchema.nullable(),
  createdAt: timestampSchema,
  postedAt: timestampSchema.nullable(),
});
export const transferPageSchema = pageSchema(transferSchema);

export const statementEntrySchema = z.object({
  transferId: idSchema,
  direction: z.enum(['debit', 'credit']),
  amount: z.string(),
  balanceAfter: z.string(),
  counterpartyAccountId: idSchema,
  description: z.string().nullable(),
  postedAt: timestampSchema,
});
export const statementPageSchema = pageSchema(statementEntrySchema);

export const receiptSchema = z.object({
  transferId: idSchema,
  status: z.string(),
  amount: z.string(),
  currency: currencySchema,
  /** Names masked as identity's payee lookup masks them. */
  from: z.object({ accountId: idSchema, name: z.string() }),
  to: z.object({ accountId: idSchema, name: z.string() }),
  description: z.string().nullable(),
  createdAt: timestampSchema,
  postedAt: timestampSchema.nullable(),
  issuedAt: timestampSchema,
});

export const invoiceSchema = z.object({
  id: idSchema,
  payeeId: idSchema,
  payerId: idSchema,
  amount: z.string(),
  currency: currencySchema,
  description: z.string().nullable(),
  dueDate: z.string(),
  status: z.enum(invoiceStatuses),
  overdue: z.boolean(),
  transferId: idSchema.nullable(),
  createdAt: timestampSchema,
  paidAt: timestampSchema.nullable(),
  cancelledAt: timestampSchema.nullable(),
});
export const invoicePageSchema = pageSchema(invoiceSchema);

export const mismatchSchema = z.object({
  accountId: idSchema,
  currency: currencySchema,
  ledgerBalance: z.string(),
  storedBalance: z.string(),
  problem: z.enum(['balance_differs', 'negative_user_balance']),
});
export const reconciliationSchema = z.object({
  id: idSchema,
  accountsChecked: z.number().int(),
  mismatches: z.array(mismatchSchema),
  ledgerBalanced: z.boolean(),
  createdAt: timestampSchema,
});
export const reconciliationResultSchema = reconciliationSchema.extend({ currencyTotals: z.record(z.string(), z.string()) });
export const reconciliationPageSchema = pageSchema(reconciliationSchema);

// Requests
export const openAccountBody = z.strictObject({ currency: currencySchema });
export const statementQuery = z.strictObject({ from: z.iso.datetime().optional(), to: z.iso.datetime().optional(), limit: pageLimitSchema, cursor: cursorSchema.optional() });
export const balanceAtQuery = z.strictObject({ at: z.iso.datetime() });
export const depositBody = withAmount(z.strictObject({ accountId: idSchema, amount: amountTextSchema, currency: currencySchema, reference: z.string().trim().min(1).max(140) }));
export const transferBody = withAmount(
  z.strictObject({
    fromAccountId: idSchema,
    to: z.union([z.strictObject({ accountId: idSchema }), z.strictObject({ userId: idSchema })]),
    amount: amountTextSchema,
    currency: currencySchema,
    description: z.string().trim().min(1).max(140).optional(),
  }),
);
export const rejectTransferBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });
export const transferListQuery = z.strictObject({ accountId: idSchema.optional(), status: z.enum(transferStatuses).optional(), limit: pageLimitSchema, cursor: cursorSchema.optional() });
export const issueInvoiceBody = withAmount(
  z.strictObject({ payerId: idSchema, amount: amountTextSchema, currency: currencySchema, description: z.string().trim().min(1).max(500), dueDate: z.iso.date() }),
);
export const invoiceListQuery = z.strictObject({ role: z.enum(['payer', 'payee']).default('payee'), limit: pageLimitSchema, cursor: cursorSchema.optional() });
export const payInvoiceBody = z.strictObject({ fromAccountId: idSchema });
export const reconciliationListQuery = z.strictObject({ limit: pageLimitSchema, cursor: cursorSchema.optional() });

// Types
export type Account = z.infer<typeof accountSchema>;
export type BalanceAt = z.infer<typeof balanceAtSchema>;
export type Transfer = z.infer<typeof transferSchema>;
export type TransferStatus = (typeof transferStatuses)[number];
export type StatementEntry = z.infer<typeof statementEntrySchema>;
export type Receipt = z.infer<typeof receiptSchema>;
export type Invoice = z.infer<typeof invoiceSchema>;
export type InvoiceStatus = (typeof invoiceStatuses)[number];
export type Mismatch = z.infer<typeof mismatchSchema>;
export type Reconciliation = z.infer<typeof reconciliationSchema>;
export type ReconciliationResult = z.infer<typeof reconciliationResultSchema>;
export type DepositBody = z.input<typeof depositBody>;
export type TransferBody = z.input<typeof transferBody>;
export type IssueInvoiceBody = z.input<typeof issueInvoiceBody>;
export type TransferListQuery = Partial<z.output<typeof transferListQuery>>;
export type InvoiceListQuery = Partial<z.output<typeof invoiceListQuery>>;
export type StatementQuery = Partial<z.output<typeof statementQuery>>;
export type ReconciliationListQuery = Partial<z.output<typeof reconciliationListQuery>>;
export type PayInvoiceBody = z.input<typeof payInvoiceBody>;
