import type { ContextErrorCode } from '@elcorp/contracts/http';

/**
 * Expected failures of the payments domain. The public codes are contracts' closed list, so
 * none can be invented here; http/errors.ts gives each its status.
 */
export type PaymentsErrorCode =
  | ContextErrorCode<'payments'>
  // Internal: bad input found by a rule rather than a schema, answered as `validation_failed`.
  | 'payments.invalid_input';

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
