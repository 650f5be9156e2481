import { z } from 'zod';
import { defineEvent } from '../define.js';
import { id } from './common.js';

const incident = z.strictObject({
  incidentId: id,
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  status: z.enum(['open', 'investigating', 'mitigated', 'resolved', 'closed']),
});

export const complianceEvents = [
  defineEvent({
    type: 'compliance.checkpoint.signed',
    version: 1,
    data: z.strictObject({ treeSize: z.number().int().min(0), rootHash: z.string().regex(/^[0-9a-f]{64}$/) }),
  }),
  defineEvent({ type: 'compliance.incident.opened', version: 1, data: incident }),
  defineEvent({ type: 'compliance.incident.updated', version: 1, data: incident }),
  defineEvent({ type: 'compliance.incident.resolved', version: 1, data: incident }),
  defineEvent({
    type: 'compliance.report.generated',
    version: 1,
    data: z.strictObject({ reportId: id, type: z.enum(['transactions', 'access', 'sla', 'audit-summary']) }),
  }),
  defineEvent({ type: 'compliance.subject.erased', version: 1, data: z.strictObject({ userId: id }) }),
] as const;
