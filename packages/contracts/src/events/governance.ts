import { z } from 'zod';
import { defineEvent } from '../define.js';
import { id, permission, timestamp } from './common.js';

const role = z.strictObject({ role: z.string().min(1).max(64), permissions: z.array(permission).max(100) });
const roleAssignment = z.strictObject({ userId: id, role: z.string().min(1).max(64), by: id.nullable() });
const request = z.strictObject({
  requestId: id,
  requesterId: id,
  category: z.string().max(64),
  priority: z.enum(['low', 'normal', 'high', 'critical']),
  status: z.enum(['draft', 'submitted', 'in_review', 'approved', 'rejected', 'completed', 'cancelled']),
  by: id,
  slaDeadline: timestamp.optional(),
});
const overdue = z.strictObject({ requestId: id, slaDeadline: timestamp, overdueBy: z.number().int().min(0) });

export const governanceEvents = [
  defineEvent({ type: 'governance.role.created', version: 1, data: role }),
  defineEvent({ type: 'governance.role.updated', version: 1, data: role }),
  defineEvent({ type: 'governance.role.deleted', version: 1, data: role }),
  defineEvent({ type: 'governance.role.assigned', version: 1, data: roleAssignment }),
  defineEvent({ type: 'governance.role.revoked', version: 1, data: roleAssignment }),
  defineEvent({
    type: 'governance.policy.published',
    version: 1,
    data: z.strictObject({ bundleVersion: z.number().int().min(1), policyIds: z.array(z.string().max(128)).max(1000) }),
  }),
  ...(['created', 'submitted', 'assigned', 'approved', 'rejected', 'completed', 'cancelled'] as const).map((step) =>
    defineEvent({ type: `governance.request.${step}` as const, version: 1, data: request }),
  ),
  defineEvent({ type: 'governance.request.escalated', version: 1, data: overdue }),
  defineEvent({ type: 'governance.request.sla_breached', version: 1, data: overdue }),
] as const;
