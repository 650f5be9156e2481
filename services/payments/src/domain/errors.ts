/** Expected failures of the payments domain; http/errors.ts gives each code its status. */
export const paymentsErrorCodes = [
  'payments.account_exists',
  'payments.account_not_found',
  'payments.transfer_not_found',
  'payments.invoice_not_found',
  'payments.insufficient_funds',
  'payments.currency_mismatch',
  'payments.account_inactive',
  'payments.same_account',
  'payments.self_approval',
  'payments.transfer_not_pending',
  'payments.invoice_not_open',
  'payments.not_invoice_payee',
  'payments.not_invoice_payer',
  'payments.invalid_input',
  'payments.idempotency_key_required',
  'payments.idempotency_key_reused',
  'payments.request_in_progress',
] as const;
export type PaymentsErrorCode = (typeof paymentsErrorCodes)[number];

export class PaymentsError extends Error {
  constructor(
    readonly code: PaymentsErrorCode,
    message: string,
    /** For validation-like failures: the request field at fault. */
    readonly path?: string,
  ) {
    super(message);
    this.name = 'PaymentsError';
  }
}

export const fail = (code: PaymentsErrorCode, message: string, path?: string): never => {
  throw new PaymentsError(code, message, path);
};
