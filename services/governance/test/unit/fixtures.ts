import type { RequestActor, RequestCommand, RequestStatus, ServiceRequest, Priority } from '../../src/domain/request.js';
import type { SlaPolicy } from '../../src/domain/sla.js';

export const now = new Date('2026-11-30T10:00:00Z');
export const hoursLater = (hours: number, from = now) => new Date(from.getTime() + hours * 3600_000);

export const sla: SlaPolicy = { category: 'access', priority: 'normal', responseHours: 8, resolutionHours: 72, escalateAfterHours: 48 };

/** The people around one request; ids are fixed so expectations can name them. */
export const people = {
  requester: { userId: 'requester', canApprove: false, isAdmin: false },
  approvingRequester: { userId: 'requester', canApprove: true, isAdmin: true },
  assignee: { userId: 'assignee', canApprove: false, isAdmin: false },
  staff: { userId: 'staff', canApprove: true, isAdmin: false },
  admin: { userId: 'admin', canApprove: true, isAdmin: true },
  stranger: { userId: 'stranger', canApprove: false, isAdmin: false },
} satisfies Record<string, RequestActor>;
export type Person = keyof typeof people;

export function requestIn(status: RequestStatus, priority: Priority = 'normal', overrides: Partial<ServiceRequest> = {}): ServiceRequest {
  return {
    id: 'r1',
    requesterId: 'requester',
    assigneeId: status === 'draft' || status === 'submitted' ? null : 'assignee',
    category: 'access',
    title: 't',
    description: 'd',
    priority,
    status,
    submittedAt: null,
    respondBy: null,
    escalateAt: null,
    slaDeadline: null,
    escalatedAt: null,
    breachedAt: null,
    approvals: [],
    ...overrides,
  };
}

export function commandFor(action: RequestCommand['action']): RequestCommand {
  switch (action) {
    case 'submit':
      return { action, sla };
    case 'assign':
      return { action, assigneeId: 'assignee' };
    case 'approve':
      return { action, comment: 'fine' };
    case 'reject':
      return { action, reason: 'no budget' };
    case 'complete':
      return { action };
    case 'cancel':
      return { action, reason: 'not needed' };
  }
}
