import { z } from 'zod';
import { currencies } from '../domain/money.js';

/**
 * The public payments schemas in one file, so moving them to packages/contracts (issue 8)
 * is a cut and paste. Amounts are checked against the currency's exponent by the routes
 * (parseAmount), which know the currency of the same body.
 */
export const currency = z.enum(currencies);
export const amountText = z.string().min(1).max(32);
export const idParam = z.strictObject({ id: z.uuid() });
export const limit = z.coerce.number().int().min(1).max(100).default(20);
export const cursor = z.string().min(1).max(200).optional();

export const accountSchema = z.object({
  id: z.uuid(),
  ownerId: z.uuid().nullable(),
  currency,
  balance: z.string(),
  heldAmount: z.string(),
  status: z.enum(['active', 'frozen']),
  createdAt: z.string(),
});

export const transferSchema = z.object({
  id: z.uuid(),
  status: z.enum(['posted', 'pending_approval', 'rejected']),
  fromAccountId: z.uuid(),
  toAccountId: z.uuid(),
  amount: z.string(),
  currency,
  description: z.string().nullable(),
  initiatedBy: z.uuid().nullable(),
  approvedBy: z.uuid().nullable(),
  createdAt: z.string(),
  postedAt: z.string().nullable(),
});

export const statementEntrySchema = z.object({
  transferId: z.uuid(),
  direction: z.enum(['debit', 'credit']),
  amount: z.string(),
  balanceAfter: z.string(),
  counterpartyAccountId: z.uuid(),
  description: z.string().nullable(),
  postedAt: z.string(),
});

export const invoiceSchema = z.object({
  id: z.uuid(),
  payeeId: z.uuid(),
  payerId: z.uuid(),
  amount: z.string(),
  currency,
  description: z.string().nullable(),
  dueDate: z.string(),
  status: z.enum(['open', 'paid', 'cancelled']),
  overdue: z.boolean(),
  transferId: z.uuid().nullable(),
  createdAt: z.string(),
  paidAt: z.string().nullable(),
  cancelledAt: z.string().nullable(),
});

export const mismatchSchema = z.object({
  accountId: z.uuid(),
  currency,
  ledgerBalance: z.string(),
  storedBalance: z.string(),
  problem: z.enum(['balance_differs', 'negative_user_balance']),
});

export const reconciliationSchema = z.object({
  id: z.uuid(),
  accountsChecked: z.number().int(),
  mismatches: z.array(mismatchSchema),
  ledgerBalanced: z.boolean(),
  createdAt: z.string(),
});

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const receiptSchema = z.object({
  transferId: z.uuid(),
  status: z.string(),
  amount: z.string(),
  currency,
  from: z.object({ accountId: z.uuid(), name: z.string() }),
  to: z.object({ accountId: z.uuid(), name: z.string() }),
  description: z.string().nullable(),
  createdAt: z.string(),
  postedAt: z.string().nullable(),
  issuedAt: z.string(),
});
