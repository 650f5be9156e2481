import type { Currency } from './money.js';

export type AccountKind = 'user' | 'treasury';
export type AccountStatus = 'active' | 'frozen';

/** What the transfer rules need to know about an account. */
export interface AccountFacts {
  id: string;
  kind: AccountKind;
  ownerId: string | null;
  currency: Currency;
  status: AccountStatus;
}

/**
 * Whether `available` (balance minus holds) covers a debit. User accounts never go negative;
 * treasury accounts issue money and may.
 */
export function coversDebit(kind: AccountKind, availableMinor: bigint, amountMinor: bigint): boolean {
  return kind === 'treasury' || availableMinor >= amountMinor;
}
