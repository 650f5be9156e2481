import type { AccountFacts } from './accounts.js';
import { fail } from './errors.js';
import type { Currency } from './money.js';

export type TransferStatus = 'posted' | 'pending_approval' | 'rejected' | 'voided';
export type TransferKind = 'transfer' | 'deposit';

/**
 * The checks a transfer passes before any money moves; the funds check itself happens
 * atomically in the ledger (infrastructure/db/ledger.ts), never on a value read earlier.
 */
export function checkTransfer(from: AccountFacts, to: AccountFacts, currency: Currency): void {
  if (from.id === to.id) fail('payments.same_account', 'the source and destination accounts are the same', 'to');
  if (from.currency !== currency) fail('payments.currency_mismatch', `the source account holds ${from.currency}, not ${currency}`, 'currency');
  if (to.currency !== currency) fail('payments.currency_mismatch', `the destination account holds ${to.currency}, not ${currency}`, 'currency');
  if (from.status !== 'active') fail('payments.account_inactive', 'the source account is not active', 'fromAccountId');
  if (to.status !== 'active') fail('payments.account_inactive', 'the destination account is not active', 'to');
}

/** Maker-checker: strictly above the threshold a second person must approve (API.md). */
export function needsApproval(amountMinor: bigint, thresholdMinor: bigint): boolean {
  return amountMinor > thresholdMinor;
}

export type ApprovalDecision = 'approve' | 'reject' | 'void';

const outcome: Record<ApprovalDecision, TransferStatus> = { approve: 'posted', reject: 'rejected', void: 'voided' };

/**
 * The two-phase step of a held transfer: only a pending transfer moves, only to posted,
 * rejected or voided, and never by the person who initiated it.
 */
export function decidePending(
  transfer: { status: TransferStatus; initiatedBy: string | null },
  decision: ApprovalDecision,
  deciderId: string | null,
): TransferStatus {
  if (transfer.status !== 'pending_approval') fail('payments.transfer_not_pending', `the transfer is ${transfer.status}, not pending approval`);
  if (decision === 'approve' && deciderId !== null && deciderId === transfer.initiatedBy) {
    fail('payments.self_approval', 'the initiator of a transfer cannot approve it');
  }
  return outcome[decision];
}

/** When a held transfer is voided if nobody decides. */
export function expiryOf(createdAt: Date, expiryMs: number): Date {
  return new Date(createdAt.getTime() + expiryMs);
}
