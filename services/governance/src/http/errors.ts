import type { PublicErrorCode, PublicErrorStatus } from '@elcorp/contracts/http';
import { AppError } from '@elcorp/kit';
import { GovernanceError, type GovernanceErrorCode } from '../domain/errors.js';

type Answer<C extends PublicErrorCode> = { status: PublicErrorStatus<C>; code: C; title: string };
const answer = <C extends PublicErrorCode>(code: C, status: PublicErrorStatus<C>, title: string): Answer<C> => ({ status, code, title });

/**
 * How each governance failure answers, typed against contracts' public codes so no code or
 * status can drift from API.md. Missing things are the kit's `not_found`; lists of field
 * problems (unknown permissions, Cedar's messages, inconsistent SLA hours) are
 * `validation_failed` with `errors[]`, like any other invalid body.
 */
const answers: { [C in GovernanceErrorCode]: Answer<PublicErrorCode> } = {
  'governance.invalid_transition': answer('governance.invalid_transition', 409, 'Invalid transition'),
  'governance.self_approval': answer('governance.self_approval', 403, 'Self-approval'),
  'governance.already_approved': answer('governance.already_approved', 409, 'Already approved'),
  'governance.admin_approval_required': answer('governance.admin_approval_required', 403, 'Admin approval required'),
  'governance.forbidden': answer('governance.forbidden', 403, 'Forbidden'),
  'governance.request_not_found': answer('not_found', 404, 'Not found'),
  'governance.role_not_found': answer('not_found', 404, 'Not found'),
  'governance.policy_not_found': answer('not_found', 404, 'Not found'),
  'governance.role_exists': answer('governance.role_exists', 409, 'Role exists'),
  'governance.policy_exists': answer('governance.policy_exists', 409, 'Policy exists'),
  'governance.system_role': answer('governance.system_role', 422, 'System role'),
  'governance.last_admin': answer('governance.last_admin', 422, 'Last admin'),
  'governance.unknown_permission': answer('validation_failed', 422, 'Validation failed'),
  'governance.invalid_policy': answer('validation_failed', 422, 'Validation failed'),
  'governance.invalid_sla_policy': answer('validation_failed', 422, 'Validation failed'),
};

/** Domain failures as problem details; the kit's handler renders them. */
export function toAppError(err: unknown): unknown {
  if (!(err instanceof GovernanceError)) return err;
  const { status, code, title } = answers[err.code];
  return new AppError(status, code, title, { detail: err.message, ...(err.errors.length > 0 ? { errors: err.errors } : {}), cause: err });
}
