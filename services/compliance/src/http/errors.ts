import type { PublicErrorStatus } from '@elcorp/contracts/http';
import { AppError } from '@elcorp/kit';
import { ComplianceError, type ComplianceErrorCode } from '../domain/errors.js';

/** Each code answers with a status contracts lists for it. */
const statusOf: { [C in ComplianceErrorCode]: { status: PublicErrorStatus<C>; title: string } } = {
  'compliance.entry_not_found': { status: 404, title: 'Audit entry not found' },
  'compliance.tree_size_out_of_range': { status: 422, title: 'Tree size out of range' },
  'compliance.invalid_range': { status: 422, title: 'Invalid range' },
  'compliance.no_checkpoint': { status: 404, title: 'No checkpoint yet' },
  'compliance.invalid_cursor': { status: 422, title: 'Invalid cursor' },
  'compliance.incident_not_found': { status: 404, title: 'Incident not found' },
  'compliance.invalid_transition': { status: 409, title: 'Invalid incident transition' },
  'compliance.resolution_incomplete': { status: 422, title: 'Resolution incomplete' },
  'compliance.report_not_found': { status: 404, title: 'Report not found' },
  'compliance.report_not_ready': { status: 409, title: 'Report not ready' },
};

/** Domain failures as problem details; the kit's handler renders them. */
export function toAppError(err: unknown): unknown {
  if (err instanceof ComplianceError) {
    const { status, title } = statusOf[err.code];
    return new AppError(status, err.code, title, { detail: err.message, cause: err });
  }
  return err;
}
