/**
 * Expected governance failures. Each code is stable and public (API.md); the HTTP layer maps
 * it to a status. Anything else thrown is a bug.
 */
export type GovernanceErrorCode =
  | 'governance.invalid_transition'
  | 'governance.self_approval'
  | 'governance.already_approved'
  | 'governance.admin_approval_required'
  | 'governance.forbidden'
  | 'governance.request_not_found'
  | 'governance.role_not_found'
  | 'governance.role_exists'
  | 'governance.system_role'
  | 'governance.unknown_permission'
  | 'governance.last_admin'
  | 'governance.policy_not_found'
  | 'governance.policy_exists'
  | 'governance.invalid_policy'
  | 'governance.invalid_sla_policy';

export interface FieldProblem {
  path: string;
  message: string;
}

export class GovernanceError extends Error {
  constructor(
    readonly code: GovernanceErrorCode,
    message: string,
    readonly errors: FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'GovernanceError';
  }
}

export const governanceErrors = {
  invalidTransition: (action: string, status: string) =>
    new GovernanceError('governance.invalid_transition', `a request in status ${status} cannot be sent to ${action}`),
  selfApproval: () => new GovernanceError('governance.self_approval', 'nobody approves or rejects their own request'),
  alreadyApproved: () => new GovernanceError('governance.already_approved', 'each approval in a chain comes from a different person'),
  adminApprovalRequired: () => new GovernanceError('governance.admin_approval_required', 'the next approval in this chain must come from an admin'),
  forbidden: (message: string) => new GovernanceError('governance.forbidden', message),
  requestNotFound: () => new GovernanceError('governance.request_not_found', 'no such request'),
  roleNotFound: (name: string) => new GovernanceError('governance.role_not_found', `no role named ${name}`),
  roleExists: (name: string) => new GovernanceError('governance.role_exists', `a role named ${name} already exists`),
  systemRole: (name: string) => new GovernanceError('governance.system_role', `${name} is a system role; it cannot be changed or deleted`),
  unknownPermission: (errors: FieldProblem[]) => new GovernanceError('governance.unknown_permission', 'the role names permissions that do not exist', errors),
  lastAdmin: () => new GovernanceError('governance.last_admin', 'the last admin keeps the admin role; grant it to someone else first'),
  policyNotFound: (id: string) => new GovernanceError('governance.policy_not_found', `no policy with id ${id}`),
  policyExists: (id: string) => new GovernanceError('governance.policy_exists', `a policy with id ${id} already exists`),
  invalidPolicy: (errors: FieldProblem[]) => new GovernanceError('governance.invalid_policy', 'the Cedar validator rejected the policy', errors),
  invalidSlaPolicy: (errors: FieldProblem[]) => new GovernanceError('governance.invalid_sla_policy', 'the SLA policies are inconsistent', errors),
} as const;
