import type { Priority, RequestStatus } from './request.js';

/**
 * Request categories. A closed set so every category has an SLA policy for every priority:
 * `access` (grant or change access), `change` (a change to a system or setting), `data` (a
 * data export, correction or deletion), `incident` (something is broken), `other`.
 */
export const categories = ['access', 'change', 'data', 'incident', 'other'] as const;
export type Category = (typeof categories)[number];

export interface SlaPolicy {
  category: Category;
  priority: Priority;
  /** Until someone is assigned. */
  responseHours: number;
  /** Until the request reaches a final state: the SLA deadline. */
  resolutionHours: number;
  /** Still open this long after submission, it is escalated. */
  escalateAfterHours: number;
}

export const slaHoursMax = 24 * 365;

// Hours as [response, resolution, escalateAfter]; incidents run on a tighter clock.
const standardHours: Readonly<Record<Priority, readonly [number, number, number]>> = {
  critical: [1, 8, 4],
  high: [4, 24, 12],
  normal: [8, 72, 48],
  low: [24, 168, 120],
};
const incidentHours: Readonly<Record<Priority, readonly [number, number, number]>> = {
  critical: [1, 4, 2],
  high: [2, 12, 6],
  normal: [4, 48, 24],
  low: [8, 120, 72],
};

/** The policies seeded on a new database: one per category × priority. */
export function defaultSlaPolicies(): SlaPolicy[] {
  const policies: SlaPolicy[] = [];
  for (const category of categories) {
    const table = category === 'incident' ? incidentHours : standardHours;
    for (const [priority, [responseHours, resolutionHours, escalateAfterHours]] of Object.entries(table) as [Priority, readonly [number, number, number]][]) {
      policies.push({ category, priority, responseHours, resolutionHours, escalateAfterHours });
    }
  }
  return policies;
}

/** Problems that make a policy meaningless: escalating or needing a response after the deadline. */
export function slaPolicyProblems(policy: SlaPolicy, path: string): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (policy.responseHours > policy.resolutionHours) problems.push({ path: `${path}.responseHours`, message: 'must not exceed resolutionHours' });
  if (policy.escalateAfterHours > policy.resolutionHours) problems.push({ path: `${path}.escalateAfterHours`, message: 'must not exceed resolutionHours' });
  return problems;
}

const hourMs = 60 * 60 * 1000;

/** The points in time fixed when a request is submitted; a later policy change does not move them. */
export function deadlinesFrom(submittedAt: Date, policy: SlaPolicy): { respondBy: Date; escalateAt: Date; slaDeadline: Date } {
  const at = (hours: number) => new Date(submittedAt.getTime() + hours * hourMs);
  return { respondBy: at(policy.responseHours), escalateAt: at(policy.escalateAfterHours), slaDeadline: at(policy.resolutionHours) };
}

/** Statuses the SLA clock runs in: submitted and not yet completed, rejected or cancelled. */
export const slaOpenStatuses: ReadonlySet<RequestStatus> = new Set(['submitted', 'in_review', 'approved']);

export interface SlaClock {
  status: RequestStatus;
  respondBy: Date | null;
  escalateAt: Date | null;
  slaDeadline: Date | null;
  escalatedAt: Date | null;
  breachedAt: Date | null;
}

/** `overdueBy` is in whole seconds past the point that triggered the decision. */
export type SlaDecision = { kind: 'escalate' | 'breach'; overdueBy: number };

/**
 * What the scheduler must announce for one request now: an escalation once (when it is
 * still open past its escalation point, or still unassigned past its response time) and a
 * breach once (when it is still open past its deadline). Each is decided at most once.
 */
export function slaDecisions(clock: SlaClock, now: Date): SlaDecision[] {
  if (!slaOpenStatuses.has(clock.status) || !clock.slaDeadline || !clock.escalateAt || !clock.respondBy) return [];
  const decisions: SlaDecision[] = [];
  const secondsPast = (point: Date) => Math.floor((now.getTime() - point.getTime()) / 1000);
  if (clock.escalatedAt === null) {
    const unanswered = clock.status === 'submitted' && now >= clock.respondBy;
    const passed = [...(now >= clock.escalateAt ? [clock.escalateAt] : []), ...(unanswered ? [clock.respondBy] : [])];
    if (passed.length > 0) {
      const trigger = Math.min(...passed.map((point) => point.getTime()));
      decisions.push({ kind: 'escalate', overdueBy: secondsPast(new Date(trigger)) });
    }
  }
  if (clock.breachedAt === null && now > clock.slaDeadline) decisions.push({ kind: 'breach', overdueBy: secondsPast(clock.slaDeadline) });
  return decisions;
}
