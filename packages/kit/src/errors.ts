/**
 * Expected failures carry a stable `code` and an HTTP status; the error handler turns them
 * into RFC 9457 problem details. Anything that is not an AppError is a bug and answers 500.
 */
export interface FieldError {
  path: string;
  message: string;
}

export interface AppErrorOptions {
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra problem members, e.g. the deciding policy ids of a denial. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    options: AppErrorOptions = {},
  ) {
    super(options.detail ?? title, { cause: options.cause });
    this.name = 'AppError';
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

/** Codes the kit itself answers with; services add their own `<service>.<reason>` codes. */
export const kitErrors = {
  validationFailed: (errors: FieldError[]) =>
    new AppError(422, 'validation_failed', 'Validation failed', {
      detail: `${errors.length} field(s) are invalid`,
      errors,
    }),
  malformedBody: (detail: string) => new AppError(400, 'malformed_body', 'Malformed request body', { detail }),
  payloadTooLarge: (limitBytes: number) =>
    new AppError(413, 'payload_too_large', 'Payload too large', { detail: `the body exceeds ${limitBytes} bytes` }),
  unsupportedMediaType: (type: string) =>
    new AppError(415, 'unsupported_media_type', 'Unsupported media type', { detail: `content type ${type} is not accepted` }),
  notFound: (detail = 'no such resource') => new AppError(404, 'not_found', 'Not found', { detail }),
  uriTooLong: () => new AppError(414, 'uri_too_long', 'URI too long', { detail: 'the path or one of its segments is too long' }),
  methodNotAllowed: () => new AppError(405, 'method_not_allowed', 'Method not allowed'),
  unavailable: (detail: string) => new AppError(503, 'service_unavailable', 'Service unavailable', { detail }),
  internal: () => new AppError(500, 'internal', 'Internal server error', { detail: 'an unexpected error occurred' }),
} as const;
