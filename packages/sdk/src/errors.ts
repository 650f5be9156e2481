/** One field of a validation failure (`code: "validation_failed"`, 422). */
export interface FieldError {
  path: string;
  message: string;
}

/** Stable codes the API documents today; any other string may still arrive (`isCode` takes both). */
export type KnownErrorCode =
  | 'validation_failed'
  | 'unknown'
  | 'auth.invalid_token'
  | 'auth.invalid_dpop_proof'
  | 'authz.denied'
  | 'identity.email_taken'
  | 'identity.invalid_credentials'
  | 'identity.mfa_required'
  | 'identity.invalid_otp'
  | 'identity.account_locked'
  | 'identity.refresh_token_reused'
  | 'identity.invalid_refresh_token'
  | 'identity.invalid_reset_token'
  | 'identity.password_reused'
  | 'identity.user_not_found'
  | 'identity.session_not_found'
  | 'identity.mfa_already_enabled'
  | 'payments.idempotency_key_required'
  | 'payments.idempotency_key_reused'
  | 'payments.request_in_progress'
  | 'payments.insufficient_funds'
  | 'payments.account_not_found';

/** Every error this package throws on purpose. */
export class ElcorpError extends Error {
  override name = 'ElcorpError';
}

export interface ApiErrorFields {
  status: number;
  code: string;
  title: string;
  detail?: string;
  errors?: FieldError[];
  retryAfterSeconds?: number;
  requestId?: string;
  /** The whole problem-details body, for extensions such as `policies` of `authz.denied`. */
  problem?: Record<string, unknown>;
}

/** The API answered with an error status (RFC 9457 problem details, or a body that was not one). */
export class ElcorpApiError extends ElcorpError {
  override name = 'ElcorpApiError';
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly retryAfterSeconds: number | undefined;
  /** `x-request-id` of the answer: quote it when reporting a problem. */
  readonly requestId: string | undefined;
  readonly problem: Record<string, unknown> | undefined;

  constructor(fields: ApiErrorFields) {
    super(`${fields.status} ${fields.code}: ${fields.detail ?? fields.title}`);
    this.status = fields.status;
    this.code = fields.code;
    this.title = fields.title;
    this.detail = fields.detail;
    this.errors = fields.errors;
    this.retryAfterSeconds = fields.retryAfterSeconds;
    this.requestId = fields.requestId;
    this.problem = fields.problem;
  }
}

/** No answer: connection failed, reset, or `timeoutMs` passed. The request may or may not have been processed. */
export class ElcorpNetworkError extends ElcorpError {
  override name = 'ElcorpNetworkError';
  readonly timedOut: boolean;

  constructor(message: string, options: { cause: unknown; timedOut: boolean }) {
    super(message, { cause: options.cause });
    this.timedOut = options.timedOut;
  }
}

/** An operation needs a signed-in client (`refresh()` with no tokens). */
export class ElcorpNotSignedInError extends ElcorpError {
  override name = 'ElcorpNotSignedInError';
}

export function isApiError(err: unknown): err is ElcorpApiError {
  return err instanceof ElcorpApiError;
}

/** Narrows `err` to an API error with this code: `if (isCode(err, 'identity.account_locked')) wait(err.retryAfterSeconds)`. */
export function isCode<C extends KnownErrorCode | (string & {})>(err: unknown, code: C): err is ElcorpApiError & { readonly code: C } {
  return err instanceof ElcorpApiError && err.code === code;
}
