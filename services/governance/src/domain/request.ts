import { chainComplete, nextStep } from './approval-chain.js';
import { governanceErrors, type GovernanceError } from './errors.js';
import { deadlinesFrom, type SlaPolicy } from './sla.js';

export const requestStatuses = ['draft', 'submitted', 'in_review', 'approved', 'rejected', 'completed', 'cancelled'] as const;
export type RequestStatus = (typeof requestStatuses)[number];

export const priorities = ['low', 'normal', 'high', 'critical'] as const;
export type Priority = (typeof priorities)[number];

/** The steps of API.md's `POST /requests/{id}/{step}`. */
export const requestActions = ['submit', 'assign', 'approve', 'reject', 'complete', 'cancel'] as const;
export type RequestAction = (typeof requestActions)[number];

export const terminalStatuses: ReadonlySet<RequestStatus> = new Set(['rejected', 'completed', 'cancelled']);

export interface Approval {
  approverId: string;
  /** Whether the approver held `admin` when approving: admin steps of a chain need it. */
  asAdmin: boolean;
  comment: string | null;
  at: Date;
}

export interface ServiceRequest {
  id: string;
  requesterId: string;
  assigneeId: string | null;
  category: string;
  title: string;
  description: string;
  priority: Priority;
  status: RequestStatus;
  submittedAt: Date | null;
  /** Unassigned past this point, the request is escalated. */
  respondBy: Date | null;
  escalateAt: Date | null;
  slaDeadline: Date | null;
  escalatedAt: Date | null;
  breachedAt: Date | null;
  approvals: readonly Approval[];
}

/**
 * Who is acting, as far as requests care. `canApprove`: holds `request:approve` (as decided
 * by the authorizer, so a forbid policy can take it away); `isAdmin`: holds the `admin` role.
 */
export interface RequestActor {
  userId: string;
  canApprove: boolean;
  isAdmin: boolean;
}

export type RequestCommand =
  | { action: 'submit'; sla: SlaPolicy }
  | { action: 'assign'; assigneeId: string }
  | { action: 'approve'; comment?: string }
  | { action: 'reject'; reason: string }
  | { action: 'complete'; comment?: string }
  | { action: 'cancel'; reason?: string };

/** The event step a transition announces (`governance.request.<step>`). */
export type RequestStep = 'submitted' | 'assigned' | 'approved' | 'rejected' | 'completed' | 'cancelled';

export interface HistoryEntry {
  step: RequestStep;
  by: string;
  from: RequestStatus;
  to: RequestStatus;
  note: string | null;
  at: Date;
}

export type Transition = { ok: true; request: ServiceRequest; history: HistoryEntry } | { ok: false; error: GovernanceError };

/** From which statuses each action may start; everything else is 409 invalid_transition. */
export const allowedFrom: Readonly<Record<RequestAction, readonly RequestStatus[]>> = {
  submit: ['draft'],
  assign: ['submitted', 'in_review'],
  approve: ['in_review'],
  reject: ['submitted', 'in_review'],
  complete: ['approved'],
  cancel: ['draft', 'submitted', 'in_review'],
};

/** Requester, assignee and `request:approve` holders see a request; to anyone else it does not exist. */
export function canSee(request: Pick<ServiceRequest, 'requesterId' | 'assigneeId'>, actor: RequestActor): boolean {
  return actor.userId === request.requesterId || actor.userId === request.assigneeId || actor.canApprove;
}

/**
 * Who may take each step, checked before the status so a caller learns that a step is not
 * theirs before learning whether it is possible now.
 */
function authority(request: ServiceRequest, actor: RequestActor, action: RequestAction): GovernanceError | undefined {
  const isRequester = actor.userId === request.requesterId;
  switch (action) {
    case 'submit':
      return isRequester ? undefined : governanceErrors.forbidden('only the requester submits a request');
    case 'cancel':
      return isRequester ? undefined : governanceErrors.forbidden('only the requester cancels a request');
    case 'assign':
      return actor.canApprove ? undefined : governanceErrors.forbidden('assigning needs request:approve');
    case 'approve':
    case 'reject':
      if (!actor.canApprove) return governanceErrors.forbidden(`${action === 'approve' ? 'approving' : 'rejecting'} needs request:approve`);
      return isRequester ? governanceErrors.selfApproval() : undefined;
    case 'complete':
      return actor.canApprove || actor.userId === request.assigneeId ? undefined : governanceErrors.forbidden('the assignee or a request:approve holder completes a request');
  }
}

/**
 * Applies one step to a request the actor can see. Pure: the clock is a parameter, and the
 * result is the next state plus its history entry, or the reason it was refused.
 */
export function transition(request: ServiceRequest, actor: RequestActor, command: RequestCommand, now: Date): Transition {
  const refused = authority(request, actor, command.action);
  if (refused) return { ok: false, error: refused };
  if (!allowedFrom[command.action].includes(request.status)) {
    return { ok: false, error: governanceErrors.invalidTransition(command.action, request.status) };
  }
  const done = (next: Partial<ServiceRequest>, step: RequestStep, note: string | null = null): Transition => {
    const updated: ServiceRequest = { ...request, ...next };
    return { ok: true, request: updated, history: { step, by: actor.userId, from: request.status, to: updated.status, note, at: now } };
  };
  switch (command.action) {
    case 'submit':
      return done({ status: 'submitted', submittedAt: now, ...deadlinesFrom(now, command.sla) }, 'submitted');
    case 'assign':
      return done({ status: 'in_review', assigneeId: command.assigneeId }, 'assigned', command.assigneeId);
    case 'approve':
      return approve(request, actor, command.comment ?? null, now, done);
    case 'reject':
      return done({ status: 'rejected' }, 'rejected', command.reason);
    case 'complete':
      return done({ status: 'completed' }, 'completed', command.comment ?? null);
    case 'cancel':
      return done({ status: 'cancelled' }, 'cancelled', command.reason ?? null);
  }
}

function approve(
  request: ServiceRequest,
  actor: RequestActor,
  comment: string | null,
  now: Date,
  done: (next: Partial<ServiceRequest>, step: RequestStep, note: string | null) => Transition,
): Transition {
  if (request.approvals.some((a) => a.approverId === actor.userId)) return { ok: false, error: governanceErrors.alreadyApproved() };
  const step = nextStep(request.priority, request.approvals.length);
  // A complete chain moves the request to approved, so an in_review request always has a next step.
  if (step === undefined) throw new Error(`request ${request.id} is in review with a complete chain`);
  if (step === 'admin' && !actor.isAdmin) return { ok: false, error: governanceErrors.adminApprovalRequired() };
  const approvals = [...request.approvals, { approverId: actor.userId, asAdmin: actor.isAdmin, comment, at: now }];
  const status: RequestStatus = chainComplete(request.priority, approvals.length) ? 'approved' : 'in_review';
  return done({ approvals, status }, 'approved', comment);
}
