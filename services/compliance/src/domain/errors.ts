import type { ContextErrorCode } from '@elcorp/contracts/http';

/**
 * Expected compliance failures. The codes are contracts' closed list (API.md), so none can be
 * invented here; the HTTP layer maps each to its status. Anything else thrown is a bug.
 */
export type ComplianceErrorCode = ContextErrorCode<'compliance'>;

export class ComplianceError extends Error {
  constructor(
    readonly code: ComplianceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ComplianceError';
  }
}
