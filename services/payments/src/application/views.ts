import { formatAmount, type Currency } from '../domain/money.js';
import type { TransferStatus } from '../domain/transfers.js';
import { currentBalance } from '../infrastructure/db/ledger.js';
import type { PaymentsDeps } from './ports.js';

export interface AccountView {
  id: string;
  ownerId: string | null;
  currency: Currency;
  balance: string;
  heldAmount: string;
  status: 'active' | 'frozen';
  createdAt: string;
}

export interface TransferView {
  id: string;
  /** The public statuses: a voided transfer shows as rejected. */
  status: Exclude<TransferStatus, 'voided'>;
  fromAccountId: string;
  toAccountId: string;
  amount: string;
  currency: Currency;
  description: string | null;
  initiatedBy: string | null;
  approvedBy: string | null;
  createdAt: string;
  postedAt: string | null;
}

export function accountQuery(deps: Pick<PaymentsDeps, 'db'>) {
  return deps.db
    .selectFrom('accounts')
    .select(['accounts.id', 'accounts.kind', 'accounts.owner_id', 'accounts.currency', 'accounts.status', 'accounts.held', 'accounts.created_at', currentBalance.as('balance')]);
}

export function toAccountView(row: {
  id: string;
  owner_id: string | null;
  currency: Currency;
  status: 'active' | 'frozen';
  balance: bigint;
  held: bigint;
  created_at: Date;
}): AccountView {
  return {
    id: row.id,
    ownerId: row.owner_id,
    currency: row.currency,
    balance: formatAmount(BigInt(row.balance), row.currency),
    heldAmount: formatAmount(row.held, row.currency),
    status: row.status,
    createdAt: row.created_at.toISOString(),
  };
}

export const transferColumns = [
  'transfers.id',
  'transfers.status',
  'transfers.from_account_id',
  'transfers.to_account_id',
  'transfers.amount',
  'transfers.currency',
  'transfers.description',
  'transfers.initiated_by',
  'transfers.approved_by',
  'transfers.created_at',
  'transfers.posted_at',
] as const;

export function toTransferView(row: {
  id: string;
  status: TransferStatus;
  from_account_id: string;
  to_account_id: string;
  amount: bigint;
  currency: Currency;
  description: string | null;
  initiated_by: string | null;
  approved_by: string | null;
  created_at: Date;
  posted_at: Date | null;
}): TransferView {
  return {
    id: row.id,
    // Voided is an expired pending transfer; the public contract knows it as rejected.
    status: row.status === 'voided' ? 'rejected' : row.status,
    fromAccountId: row.from_account_id,
    toAccountId: row.to_account_id,
    amount: formatAmount(row.amount, row.currency),
    currency: row.currency,
    description: row.description,
    initiatedBy: row.initiated_by,
    approvedBy: row.approved_by,
    createdAt: row.created_at.toISOString(),
    postedAt: row.posted_at?.toISOString() ?? null,
  };
}

/** Cursors are opaque to clients: base64url of the last item's sort key. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
