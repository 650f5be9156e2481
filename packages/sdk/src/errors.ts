import type { FieldError, PublicErrorCode } from '@elcorp/contracts/http';

/** One field of a validation failure (`code: "validation_failed"`, 422). */
export type { FieldError };

/**
 * The codes the API documents (contracts' closed list), and `unknown` for an answer that was
 * not a problem body; any other string may still arrive from a newer server (`isCode` takes both).
 */
export type KnownErrorCode = PublicErrorCode | 'unknown';

/** Every error this package throws on purpose. */
export class ElcorpError extends Error {
  override name = 'ElcorpError';
  /**
   * The Idempotency-Key a money-moving call was sent with. After a network error the money may
   * or may not have moved: call again with this key and the server answers as it did the first
   * time (or moves the money once, if the first never arrived).
   */
  idempotencyKey: string | undefined;
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
