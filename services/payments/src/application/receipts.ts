import { fail } from '../domain/errors.js';
import type { Currency } from '../domain/money.js';
import type { Caller, PaymentsDeps } from './ports.js';
import { getTransfer } from './queries.js';

export interface ReceiptParty {
  accountId: string;
  /** Masked the way identity's payee lookup masks it; "Elcorp treasury" for deposits. */
  name: string;
}

export interface Receipt {
  transferId: string;
  status: string;
  amount: string;
  currency: Currency;
  from: ReceiptParty;
  to: ReceiptParty;
  description: string | null;
  createdAt: string;
  postedAt: string | null;
  issuedAt: string;
}

const treasuryName = 'Elcorp treasury';
const erasedName = 'Erased user';

/** GET /transfers/{id}/receipt: for the transfer's parties only (404 for anyone else). */
export async function receiptOf(deps: PaymentsDeps, caller: Caller, transferId: string): Promise<Receipt> {
  const transfer = await getTransfer(deps, { ...caller, canReadAll: false }, transferId);
  const parties = await deps.db
    .selectFrom('accounts')
    .leftJoin('parties', 'parties.user_id', 'accounts.owner_id')
    .select(['accounts.id', 'accounts.kind', 'parties.display_name', 'parties.erased_at'])
    .where('accounts.id', 'in', [transfer.fromAccountId, transfer.toAccountId])
    .execute();
  const nameOf = (accountId: string): ReceiptParty => {
    const party = parties.find((p) => p.id === accountId);
    if (!party) return fail('payments.transfer_not_found', 'the transfer lost an account');
    const name = party.kind === 'treasury' ? treasuryName : party.erased_at ? erasedName : (party.display_name ?? 'Unknown');
    return { accountId, name };
  };
  return {
    transferId: transfer.id,
    status: transfer.status,
    amount: transfer.amount,
    currency: transfer.currency,
    from: nameOf(transfer.fromAccountId),
    to: nameOf(transfer.toAccountId),
    description: transfer.description,
    createdAt: transfer.createdAt,
    postedAt: transfer.postedAt,
    issuedAt: deps.now().toISOString(),
  };
}
