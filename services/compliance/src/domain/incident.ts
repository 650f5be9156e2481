import type { incidentSeverities, incidentStatuses } from '@elcorp/contracts/http';

/**
 * An incident's life: open → investigating → mitigated → resolved → closed. Work may step
 * back from mitigated to investigating when the fix did not hold; a resolution needs its
 * root cause and remediation on record.
 */
export type IncidentStatus = (typeof incidentStatuses)[number];
export type Severity = (typeof incidentSeverities)[number];

const next: Record<IncidentStatus, readonly IncidentStatus[]> = {
  open: ['investigating', 'mitigated', 'resolved'],
  investigating: ['mitigated', 'resolved'],
  mitigated: ['investigating', 'resolved'],
  resolved: ['closed', 'investigating'],
  closed: [],
};

export type TransitionRefusal = { code: 'compliance.invalid_transition'; message: string } | { code: 'compliance.resolution_incomplete'; message: string };

export function checkTransition(
  from: IncidentStatus,
  to: IncidentStatus,
  record: { rootCause: string | null; remediation: string | null },
): TransitionRefusal | null {
  if (from !== to && !next[from].includes(to)) return { code: 'compliance.invalid_transition', message: `an incident cannot go from ${from} to ${to}` };
  if ((to === 'resolved' || to === 'closed') && (!record.rootCause || !record.remediation)) {
    return { code: 'compliance.resolution_incomplete', message: 'a resolved incident needs its rootCause and remediation' };
  }
  return null;
}
