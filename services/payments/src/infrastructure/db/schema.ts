import type { ColumnType, Generated } from '@elcorp/db';
import type { MessagingTables } from '@elcorp/messaging';
import type { AccountKind, AccountStatus } from '../../domain/accounts.js';
import type { InvoiceStatus } from '../../domain/invoices.js';
import type { Currency } from '../../domain/money.js';
import type { TransferKind, TransferStatus } from '../../domain/transfers.js';

/** Kysely view of migrations/ (payments schema). */
export interface AccountsTable {
  id: string;
  kind: AccountKind;
  owner_id: string | null;
  currency: Currency;
  status: Generated<AccountStatus>;
  balance: Generated<bigint>;
  held: Generated<bigint>;
  created_at: Generated<Date>;
}

export interface BalanceDeltasTable {
  id: Generated<bigint>;
  account_id: string;
  amount: bigint;
}

export interface PartiesTable {
  user_id: string;
  display_name: string | null;
  erased_at: Date | null;
}

export interface TransfersTable {
  id: string;
  kind: TransferKind;
  status: TransferStatus;
  from_account_id: string;
  to_account_id: string;
  amount: bigint;
  currency: Currency;
  description: string | null;
  reference: string | null;
  invoice_id: string | null;
  initiated_by: string | null;
  approved_by: string | null;
  reason: string | null;
  created_at: Generated<Date>;
  posted_at: Date | null;
  decided_at: Date | null;
  expires_at: Date | null;
}

export interface EntriesTable {
  seq: Generated<bigint>;
  account_id: string;
  transfer_id: string;
  amount: bigint;
  posted_at: Generated<Date>;
}

export interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  fingerprint: string;
  response_status: number;
  response_body: ColumnType<unknown, string, string>;
  created_at: Generated<Date>;
}

export interface InvoicesTable {
  id: string;
  payee_id: string;
  payer_id: string;
  amount: bigint;
  currency: Currency;
  description: string | null;
  due_date: ColumnType<string, string, string>;
  status: Generated<InvoiceStatus>;
  transfer_id: string | null;
  pending_transfer_id: string | null;
  overdue_at: Date | null;
  created_at: Generated<Date>;
  paid_at: Date | null;
  cancelled_at: Date | null;
}

export interface ReconciliationsTable {
  id: string;
  accounts_checked: number;
  mismatches: ColumnType<unknown, string, string>;
  ledger_balanced: boolean;
  requested_by: string | null;
  created_at: Generated<Date>;
}

export interface PaymentsDB extends MessagingTables {
  accounts: AccountsTable;
  balance_deltas: BalanceDeltasTable;
  parties: PartiesTable;
  transfers: TransfersTable;
  entries: EntriesTable;
  idempotency_keys: IdempotencyKeysTable;
  invoices: InvoicesTable;
  reconciliations: ReconciliationsTable;
}
