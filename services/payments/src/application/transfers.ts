import { createEvent, uuidv7 } from '@elcorp/contracts';
import type { AccountFacts } from '../domain/accounts.js';
import { fail } from '../domain/errors.js';
import { formatAmount, type Currency } from '../domain/money.js';
import { checkTransfer, expiryOf, needsApproval } from '../domain/transfers.js';
import { appendEntries, credit, debit, hold, PostingRaced, postInOneStatement } from '../infrastructure/db/ledger.js';
import { idempotencyCutoff, idempotencyLockName, type IdempotentRequest } from './idempotency.js';
import type { Caller, PaymentsDeps, PaymentsUow } from './ports.js';
import { toTransferView, type TransferView } from './views.js';

export type Destination = { accountId: string } | { userId: string };

export interface TransferRequest {
  fromAccountId: string;
  to: Destination;
  amountMinor: bigint;
  currency: Currency;
  description?: string | undefined;
}

const accountFacts = ['id', 'kind', 'owner_id as ownerId', 'currency', 'status'] as const;

/** The destination: a user account by id, or a user's account in the transfer's currency. */
export async function destinationAccount(uow: PaymentsUow, to: Destination, currency: Currency): Promise<AccountFacts> {
  let query = uow.trx.selectFrom('accounts').select(accountFacts).where('kind', '=', 'user');
  query = 'accountId' in to ? query.where('id', '=', to.accountId) : query.where('owner_id', '=', to.userId).where('currency', '=', currency);
  const found = await query.executeTakeFirst();
  return found ?? fail('payments.account_not_found', 'no such destination account', 'to');
}

export interface MoveOptions {
  kind: 'transfer' | 'deposit';
  description?: string | null | undefined;
  reference?: string | null;
  invoiceId?: string | null;
  /** Deposits by staff post at once; user transfers above the threshold wait. */
  makerChecker: boolean;
}

/**
 * Moves money between two checked accounts inside the caller's unit of work: posted at once
 * (debit, credit, two entries) or, above the threshold, held on the source awaiting approval.
 * Throws payments.insufficient_funds with nothing written when the source cannot cover it.
 */
export async function move(deps: PaymentsDeps, uow: PaymentsUow, caller: Caller, from: AccountFacts, to: AccountFacts, amount: bigint, options: MoveOptions): Promise<TransferView> {
  const id = uuidv7();
  const now = deps.now();
  const pending = options.makerChecker && needsApproval(amount, deps.approvalThresholdMinor[from.currency]);
  const trx = uow.trx;
  const fields = {
    description: options.description ?? null,
    reference: options.reference ?? null,
    invoiceId: options.invoiceId ?? null,
  };
  let covered = false;
  if (!pending) {
    covered = await postInOneStatement(trx, { id, kind: options.kind, from, toAccountId: to.id, amount, currency: from.currency, ...fields, initiatedBy: caller.userId, at: now });
  }
  const postedAlready = covered;
  if (!covered) {
    await trx
      .insertInto('transfers')
      .values({
        id,
        kind: options.kind,
        status: pending ? 'pending_approval' : 'posted',
        from_account_id: from.id,
        to_account_id: to.id,
        amount,
        currency: from.currency,
        description: fields.description,
        reference: fields.reference,
        invoice_id: fields.invoiceId,
        initiated_by: caller.userId,
        approved_by: null,
        reason: null,
        created_at: now,
        posted_at: pending ? null : now,
        decided_at: null,
        expires_at: pending ? expiryOf(now, deps.approvalExpiryMs) : null,
      })
      .execute();
    // The slow path: a hold, or a debit whose stored row looked short (it folds and checks again).
    covered = pending ? await hold(trx, from.id, amount) : await debit(trx, from, amount);
  }
  if (!covered) fail('payments.insufficient_funds', 'the source account cannot cover this amount', 'amount');
  const row = {
    id,
    status: pending ? ('pending_approval' as const) : ('posted' as const),
    from_account_id: from.id,
    to_account_id: to.id,
    amount,
    currency: from.currency,
    description: fields.description,
    initiated_by: caller.userId,
    approved_by: null,
    created_at: now,
    posted_at: pending ? null : now,
  };
  const money = formatAmount(amount, from.currency);
  if (pending) {
    uow.record(
      createEvent('payments.transfer.pending_approval', {
        subject: { type: 'transfer', id },
        actor: caller.actor,
        data: { transferId: id, amount: money, currency: from.currency, initiatedBy: caller.userId },
      }),
    );
    return toTransferView(row);
  }
  if (!postedAlready) {
    await credit(trx, to.id, amount);
    await appendEntries(trx, { id, fromAccountId: from.id, toAccountId: to.id, amount });
  }
  const subject = { type: 'transfer', id };
  uow.record(
    options.kind === 'deposit'
      ? createEvent('payments.deposit.posted', { subject, actor: caller.actor, data: { transferId: id, accountId: to.id, amount: money, currency: from.currency, reference: options.reference ?? '' } })
      : createEvent('payments.transfer.posted', { subject, actor: caller.actor, data: { transferId: id, fromAccountId: from.id, toAccountId: to.id, amount: money, currency: from.currency } }),
  );
  return toTransferView(row);
}

/** POST /transfers: from one's own account to an account or a user; 201 posted or 202 held. */
export async function createTransfer(deps: PaymentsDeps, uow: PaymentsUow, caller: Caller, request: TransferRequest): Promise<TransferView> {
  const { from, to } = await transferAccounts(uow, caller, request);
  checkTransfer(from, to, request.currency);
  return move(deps, uow, caller, from, to, request.amountMinor, { kind: 'transfer', description: request.description, makerChecker: true });
}

/**
 * POST /transfers when it simply posts, in one statement and one round trip (no BEGIN/COMMIT),
 * shared with the plain transfers that arrive while another such statement runs (postingBatches):
 * the key's claim, the checks, the debit, credit and entries, the event and the stored answer (201),
 * whose JSON it returns, the text to send. Undefined when it did not
 * post (a destination named by user id, an amount that needs approval, a stored answer, any
 * check the accounts fail, a source that looks short): nothing was written then, and the
 * general path (runIdempotent around createTransfer) answers, refusals and replays included.
 */
export async function postTransferAtOnce(deps: PaymentsDeps, caller: Caller, request: TransferRequest, idempotent: IdempotentRequest): Promise<string | undefined> {
  const { to, amountMinor: amount, currency } = request;
  if (!('accountId' in to) || needsApproval(amount, deps.approvalThresholdMinor[currency])) return undefined;
  const id = uuidv7();
  const now = deps.now();
  const view = toTransferView({
    id,
    status: 'posted',
    from_account_id: request.fromAccountId,
    to_account_id: to.accountId,
    amount,
    currency,
    description: request.description ?? null,
    initiated_by: caller.userId,
    approved_by: null,
    created_at: now,
    posted_at: now,
  });
  // Serialised once: stored as the key's answer and sent as the response, the same bytes.
  const json = JSON.stringify(view);
  const event = createEvent('payments.transfer.posted', {
    subject: { type: 'transfer', id },
    actor: caller.actor,
    data: { transferId: id, fromAccountId: request.fromAccountId, toAccountId: to.accountId, amount: view.amount, currency },
  });
  const posting = {
    transferId: id,
    userId: caller.userId,
    fromAccountId: request.fromAccountId,
    toAccountId: to.accountId,
    amount,
    currency,
    description: view.description,
    at: now,
    lockName: idempotencyLockName(idempotent),
    key: idempotent.key,
    fingerprint: idempotent.fingerprint,
    responseStatus: 201,
    responseBody: json,
    cutoff: idempotencyCutoff(now),
  };
  // With the other plain transfers that arrive while a statement posts (alone when none is running).
  const result = await deps.postingBatches.post({ posting, event }).catch((err: unknown) => {
    if (err instanceof PostingRaced) fail('payments.request_in_progress', 'another request with this Idempotency-Key has just completed; retry to get its answer');
    throw err;
  });
  if (!result.locked) fail('payments.request_in_progress', 'a request with this Idempotency-Key is still running');
  return result.posted ? json : undefined;
}

/** Both accounts of a transfer in one round trip: the caller's source and the destination. */
async function transferAccounts(uow: PaymentsUow, caller: Caller, request: TransferRequest): Promise<{ from: AccountFacts; to: AccountFacts }> {
  const { to } = request;
  const rows = await uow.trx
    .selectFrom('accounts')
    .select(accountFacts)
    .where((eb) =>
      eb.or([
        eb.and([eb('id', '=', request.fromAccountId), eb('owner_id', '=', caller.userId)]),
        eb.and([eb('kind', '=', 'user'), 'accountId' in to ? eb('id', '=', to.accountId) : eb.and([eb('owner_id', '=', to.userId), eb('currency', '=', request.currency)])]),
      ]),
    )
    .execute();
  const from = rows.find((row) => row.id === request.fromAccountId && row.ownerId === caller.userId);
  if (!from) return fail('payments.account_not_found', 'no such source account among yours', 'fromAccountId');
  const destination = rows.find((row) => row.kind === 'user' && ('accountId' in to ? row.id === to.accountId : row.ownerId === to.userId && row.currency === request.currency));
  if (!destination) return fail('payments.account_not_found', 'no such destination account', 'to');
  return { from, to: destination };
}

export interface DepositRequest {
  accountId: string;
  amountMinor: bigint;
  currency: Currency;
  reference: string;
}

/** POST /deposits (payment:deposit): money issued by the currency's treasury. */
export async function createDeposit(deps: PaymentsDeps, uow: PaymentsUow, caller: Caller, request: DepositRequest): Promise<TransferView> {
  const to = await destinationAccount(uow, { accountId: request.accountId }, request.currency);
  const treasury = await uow.trx.selectFrom('accounts').select(accountFacts).where('kind', '=', 'treasury').where('currency', '=', request.currency).executeTakeFirstOrThrow();
  checkTransfer(treasury, to, request.currency);
  return move(deps, uow, caller, treasury, to, request.amountMinor, { kind: 'deposit', reference: request.reference, description: request.reference, makerChecker: false });
}
