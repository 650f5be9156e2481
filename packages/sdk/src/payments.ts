import { randomUUID } from 'node:crypto';
import { resultOf, type Answer } from './answer.js';
import { ElcorpError } from './errors.js';
import { eachItem } from './pages.js';
import type { SendOptions } from './transport.js';
import type {
  Account,
  BalanceAt,
  Currency,
  DepositInput,
  Invoice,
  InvoiceInput,
  InvoiceListQuery,
  MoneyMove,
  MoneyMoveOptions,
  Page,
  PayInvoiceInput,
  Receipt,
  Reconciliation,
  ReconciliationListQuery,
  ReconciliationResult,
  StatementEntry,
  StatementQuery,
  Transfer,
  TransferInput,
  TransferListQuery,
} from './types.js';

/** How the client sends for this API: signed, authenticated, an error status thrown. */
export type Exchange = (method: string, path: string, options: SendOptions) => Promise<Answer>;

const base = '/api/v1/payments';
const segment = encodeURIComponent;

/**
 * The payments routes of API.md, one method each. Money-moving calls (deposit, transfer,
 * payInvoice) always carry an Idempotency-Key: the caller's, or a new UUID, handed back in the
 * answer and on any error (`err.idempotencyKey`) so the call can be repeated safely.
 * Lists answer one page; `each…` iterates every item over all pages.
 */
export class Payments {
  readonly #exchange: Exchange;

  constructor(exchange: Exchange) {
    this.#exchange = exchange;
  }

  async #json<T>(method: string, path: string, options: SendOptions = {}): Promise<T> {
    return resultOf<T>(await this.#exchange(method, `${base}${path}`, options));
  }

  async #moveMoney<T>(path: string, body: unknown, options: MoneyMoveOptions): Promise<MoneyMove<T>> {
    const idempotencyKey = options.idempotencyKey ?? randomUUID();
    try {
      const answer = await this.#exchange('POST', `${base}${path}`, { body, idempotencyKey });
      return { result: resultOf<T>(answer), idempotencyKey, replayed: answer.headers.get('idempotent-replayed') === 'true' };
    } catch (err) {
      if (err instanceof ElcorpError) err.idempotencyKey = idempotencyKey;
      throw err;
    }
  }

  // --- accounts

  /** The caller's own accounts (a user has few: one per currency). */
  listAccounts(): Promise<Page<Account>> {
    return this.#json('GET', '/accounts');
  }

  /** One more account, in a currency the caller has none in yet (409 `payments.account_exists`). */
  openAccount(currency: Currency): Promise<Account> {
    return this.#json('POST', '/accounts', { body: { currency } });
  }

  /** Own account, or any with `payment:reconcile`; others' are 404 `payments.account_not_found`. */
  getAccount(id: string): Promise<Account> {
    return this.#json('GET', `/accounts/${segment(id)}`);
  }

  /** The balance as it stood at an instant: the entries posted up to it. */
  balanceAt(id: string, at: Date | string): Promise<BalanceAt> {
    return this.#json('GET', `/accounts/${segment(id)}/balance`, { query: { at: at instanceof Date ? at.toISOString() : at } });
  }

  /** One page of an own account's posted entries; `from`/`to` are ISO 8601 instants. */
  statement(accountId: string, query: StatementQuery = {}): Promise<Page<StatementEntry>> {
    return this.#json('GET', `/accounts/${segment(accountId)}/statement`, { query: { ...query } });
  }

  eachStatementEntry(accountId: string, query: Omit<StatementQuery, 'cursor'> = {}): AsyncGenerator<StatementEntry> {
    return eachItem(query, (page) => this.statement(accountId, { ...query, ...page }));
  }

  // --- money movement

  /** Needs `payment:deposit`: money from the currency's treasury into an account. */
  deposit(input: DepositInput, options: MoneyMoveOptions = {}): Promise<MoneyMove<Transfer>> {
    return this.#moveMoney('/deposits', input, options);
  }

  /**
   * `posted` at once, or `pending_approval` above the approval threshold (the amount held).
   * Refusals: 422 `payments.insufficient_funds`, `payments.currency_mismatch`,
   * `payments.account_inactive`, `payments.same_account`; 404 `payments.account_not_found`.
   */
  transfer(input: TransferInput, options: MoneyMoveOptions = {}): Promise<MoneyMove<Transfer>> {
    return this.#moveMoney('/transfers', input, options);
  }

  /** Needs `payment:approve`, and someone other than the initiator (403 `payments.self_approval`). */
  approveTransfer(id: string): Promise<Transfer> {
    return this.#json('POST', `/transfers/${segment(id)}/approve`);
  }

  /** Needs `payment:approve`; the held amount is released. */
  rejectTransfer(id: string, reason: string): Promise<Transfer> {
    return this.#json('POST', `/transfers/${segment(id)}/reject`, { body: { reason } });
  }

  /** One page of the caller's own transfers, newest first. */
  listTransfers(query: TransferListQuery = {}): Promise<Page<Transfer>> {
    return this.#json('GET', '/transfers', { query: { ...query } });
  }

  eachTransfer(query: Omit<TransferListQuery, 'cursor'> = {}): AsyncGenerator<Transfer> {
    return eachItem(query, (page) => this.listTransfers({ ...query, ...page }));
  }

  /** A transfer the caller is a party to, or any with `payment:reconcile`. */
  getTransfer(id: string): Promise<Transfer> {
    return this.#json('GET', `/transfers/${segment(id)}`);
  }

  /** The receipt of a transfer the caller is a party to; names are masked. */
  receipt(transferId: string): Promise<Receipt> {
    return this.#json('GET', `/transfers/${segment(transferId)}/receipt`, { accept: 'application/json' });
  }

  /** The same receipt as a PDF document. */
  async receiptPdf(transferId: string): Promise<Uint8Array> {
    const answer = await this.#exchange('GET', `${base}/transfers/${segment(transferId)}/receipt`, { accept: 'application/pdf', binary: true });
    const type = answer.headers.get('content-type') ?? '';
    if (!type.startsWith('application/pdf') || !answer.bytes) throw new ElcorpError(`the API answered ${answer.status} with ${type || 'no content type'}, not a PDF`);
    return answer.bytes;
  }

  // --- invoices

  /** The caller bills `payerId`; the invoice is `open` until paid or cancelled. */
  issueInvoice(input: InvoiceInput): Promise<Invoice> {
    return this.#json('POST', '/invoices', { body: input });
  }

  /** One page of invoices the caller issued (`role: 'payee'`, the default) or owes (`'payer'`). */
  listInvoices(query: InvoiceListQuery = {}): Promise<Page<Invoice>> {
    return this.#json('GET', '/invoices', { query: { ...query } });
  }

  eachInvoice(query: Omit<InvoiceListQuery, 'cursor'> = {}): AsyncGenerator<Invoice> {
    return eachItem(query, (page) => this.listInvoices({ ...query, ...page }));
  }

  getInvoice(id: string): Promise<Invoice> {
    return this.#json('GET', `/invoices/${segment(id)}`);
  }

  /** The payer pays from one of their accounts: `paid` with its `transferId` (422 `payments.invoice_not_open`). */
  payInvoice(id: string, input: PayInvoiceInput, options: MoneyMoveOptions = {}): Promise<MoneyMove<Invoice>> {
    return this.#moveMoney(`/invoices/${segment(id)}/pay`, input, options);
  }

  /** The payee withdraws an open invoice. */
  cancelInvoice(id: string): Promise<Invoice> {
    return this.#json('POST', `/invoices/${segment(id)}/cancel`);
  }

  // --- reconciliation (`payment:reconcile`)

  /** Checks every account's balance against its ledger entries now. */
  reconcile(): Promise<ReconciliationResult> {
    return this.#json('POST', '/reconciliations');
  }

  listReconciliations(query: ReconciliationListQuery = {}): Promise<Page<Reconciliation>> {
    return this.#json('GET', '/reconciliations', { query: { ...query } });
  }

  eachReconciliation(query: Omit<ReconciliationListQuery, 'cursor'> = {}): AsyncGenerator<Reconciliation> {
    return eachItem(query, (page) => this.listReconciliations({ ...query, ...page }));
  }
}
