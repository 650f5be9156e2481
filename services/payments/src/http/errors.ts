import { AuthError } from '@elcorp/auth';
import type { PublicErrorCode, PublicErrorStatus } from '@elcorp/contracts/http';
import { AppError, toProblem } from '@elcorp/kit';
import { PostingQueueFull } from '../application/posting-batches.js';
import { PaymentsError, type PaymentsErrorCode } from '../domain/errors.js';

/** A code's status must be one contracts lists for it; internal codes answer as `validation_failed`. */
type StatusOf<C extends PaymentsErrorCode> = C extends PublicErrorCode ? PublicErrorStatus<C> : PublicErrorStatus<'validation_failed'>;

const statusOf: { [C in PaymentsErrorCode]: { status: StatusOf<C>; title: string } } = {
  'payments.account_exists': { status: 409, title: 'Account exists' },
  'payments.account_not_found': { status: 404, title: 'Account not found' },
  'payments.transfer_not_found': { status: 404, title: 'Transfer not found' },
  'payments.invoice_not_found': { status: 404, title: 'Invoice not found' },
  'payments.insufficient_funds': { status: 422, title: 'Insufficient funds' },
  'payments.currency_mismatch': { status: 422, title: 'Currency mismatch' },
  'payments.account_inactive': { status: 422, title: 'Account inactive' },
  'payments.same_account': { status: 422, title: 'Same account' },
  'payments.self_approval': { status: 403, title: 'Self approval' },
  'payments.transfer_not_pending': { status: 409, title: 'Transfer not pending' },
  'payments.invoice_not_open': { status: 422, title: 'Invoice not open' },
  'payments.not_invoice_payee': { status: 403, title: 'Not the payee' },
  'payments.not_invoice_payer': { status: 403, title: 'Not the payer' },
  'payments.invalid_input': { status: 422, title: 'Validation failed' },
  'payments.idempotency_key_required': { status: 400, title: 'Idempotency-Key required' },
  'payments.idempotency_key_reused': { status: 422, title: 'Idempotency-Key reused' },
  'payments.request_in_progress': { status: 409, title: 'Request in progress' },
};

/** Domain and auth failures as problem details; the kit's handler renders them. */
export function toAppError(err: unknown): unknown {
  if (err instanceof PaymentsError) {
    const { status, title } = statusOf[err.code];
    // Bad input found by a rule rather than the schema answers like any validation failure.
    if (err.code === 'payments.invalid_input') {
      return new AppError(422, 'validation_failed', title, { detail: err.message, errors: [{ path: `body.${err.path ?? ''}`, message: err.message }], cause: err });
    }
    return new AppError(status, err.code, title, { detail: err.message, cause: err });
  }
  if (err instanceof AuthError) {
    return new AppError(401, err.code, 'Unauthorized', {
      detail: 'the access token is missing or invalid',
      headers: { 'www-authenticate': `DPoP error="invalid_token", algs="ES256"` },
      cause: err,
    });
  }
  // Every pooled connection busy for longer than the pool waits (a burst on one hot account),
  // or more transfers waiting to post than the batcher keeps: a retryable 503, not a 500.
  if (err instanceof PostingQueueFull || (err instanceof Error && err.message === 'timeout exceeded when trying to connect')) {
    return new AppError(503, 'service_unavailable', 'Service unavailable', { detail: 'the ledger is busy; retry shortly', headers: { 'retry-after': '1' }, cause: err });
  }
  return err;
}

/** The problem body of a refusal, as stored for idempotent replay. */
export function problemOf(err: PaymentsError, instance: string): { status: number; body: unknown } {
  const appError = toAppError(err) as AppError;
  return { status: appError.status, body: toProblem(appError, instance) };
}

/** For a first, narrower look-up: a domain refusal means "try the wider one", anything else is a bug. */
export function notFound(err: unknown): undefined {
  if (err instanceof PaymentsError) return undefined;
  throw err;
}
