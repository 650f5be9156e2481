/**
 * Expected compliance failures, each with a stable public code; the HTTP layer maps each to
 * a status. Anything else thrown is a bug.
 */
export type ComplianceErrorCode =
  | 'compliance.entry_not_found'
  | 'compliance.tree_size_out_of_range'
  | 'compliance.invalid_range'
  | 'compliance.no_checkpoint'
  | 'compliance.invalid_cursor'
  | 'compliance.incident_not_found'
  | 'compliance.invalid_transition'
  | 'compliance.resolution_incomplete'
  | 'compliance.report_not_found'
  | 'compliance.report_not_ready';

export class ComplianceError extends Error {
  constructor(
    readonly code: ComplianceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ComplianceError';
  }
}
