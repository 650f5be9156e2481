import { z } from 'zod';
import { permissions } from '../permissions.js';
import { cursorSchema, idSchema, pageLimitSchema, pageSchema, timestampSchema } from './common.js';

// Governance's public requests and responses (API.md, "Governance"). Request bodies are
// strict: unknown fields are a 422. Response schemas are what the routes serialise.

// Fields
export const requestStatuses = ['draft', 'submitted', 'in_review', 'approved', 'rejected', 'completed', 'cancelled'] as const;
export const requestPriorities = ['low', 'normal', 'high', 'critical'] as const;
/** Request categories; every category has an SLA policy per priority. */
export const requestCategories = ['access', 'change', 'data', 'incident', 'other'] as const;
/** Cedar resource types of the vocabulary, for POST /authorize. */
export const authzResourceTypes = ['User', 'Role', 'Account', 'Transfer', 'Request', 'AuditLog', 'Incident', 'Report', 'Policy'] as const;
/** Lower-case, starts with a letter; also a safe Cedar entity id and URL segment. */
export const roleNameSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'a lower-case name: a letter, then letters, digits, _ or -, at most 64');
/** Custom policy ids as bundles accept them (ids starting `role:` are refused as Cedar's). */
export const policyIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, '1–128 letters, digits, _ . : - starting with a letter or digit');
export const slaHoursMax = 24 * 365;
const permissionList = z.array(z.string().max(64)).max(permissions.length * 2);
const noteSchema = z.string().trim().min(1).max(2000);
const hoursSchema = z.number().int().min(1).max(slaHoursMax);

// Permissions and roles
export const permissionsSchema = z.object({ permissions: z.array(z.enum(permissions)) });
export const roleSchema = z.object({ name: z.string(), description: z.string(), system: z.boolean(), permissions: z.array(z.string()) });
export const roleParams = z.strictObject({ name: roleNameSchema });
export const createRoleBody = z.strictObject({ name: roleNameSchema, description: z.string().max(500).default(''), permissions: permissionList });
export const updateRoleBody = z
  .strictObject({ description: z.string().max(500).optional(), permissions: permissionList.optional() })
  .refine((b) => b.description !== undefined || b.permissions !== undefined, 'name description or permissions');
export const userParams = z.strictObject({ userId: idSchema });
export const userRoleParams = z.strictObject({ userId: idSchema, role: roleNameSchema });
export const userRolesSchema = z.object({ roles: z.array(z.string()) });
export const rolePageQuery = z.strictObject({ limit: pageLimitSchema, cursor: cursorSchema.optional() });
export const rolePageSchema = pageSchema(roleSchema);

// Policies and decisions
export const policySchema = z.object({ id: z.string(), description: z.string(), source: z.string(), createdBy: z.string().nullable(), createdAt: timestampSchema });
export const policyParams = z.strictObject({ id: policyIdSchema });
export const createPolicyBody = z.strictObject({ id: policyIdSchema, description: z.string().max(500).default(''), source: z.string().min(1).max(10_000) });
export const policyPageQuery = rolePageQuery;
export const policyPageSchema = pageSchema(policySchema);
const attributeValue = z.union([z.string().max(256), z.number().int(), z.boolean()]);
export const authorizeBody = z.strictObject({
  principal: z.strictObject({ userId: idSchema }),
  action: z.enum(permissions),
  resource: z.strictObject({
    type: z.enum(authzResourceTypes),
    id: z.string().min(1).max(128),
    attributes: z.record(z.string().max(64), attributeValue).refine((a) => Object.keys(a).length <= 20, 'at most 20 attributes').optional(),
  }),
  context: z
    .strictObject({
      amountMinor: z.number().int().optional(),
      currency: z.string().max(3).optional(),
      hourUtc: z.number().int().min(0).max(23).optional(),
      weekdayUtc: z.number().int().min(0).max(6).optional(),
      ip: z.string().max(64).optional(),
      mfa: z.boolean().optional(),
    })
    .optional(),
});
export const authorizeSchema = z.object({ decision: z.enum(['allow', 'deny']), policies: z.array(z.string()) });

// Service requests
export const requestParams = z.strictObject({ id: idSchema });
export const createRequestBody = z.strictObject({
  category: z.enum(requestCategories),
  title: z.string().trim().min(1).max(200),
  description: z.string().max(10_000),
  priority: z.enum(requestPriorities),
});
export const requestPageQuery = z.strictObject({
  limit: pageLimitSchema,
  cursor: idSchema.optional(),
  status: z.enum(requestStatuses).optional(),
  mine: z.enum(['true', 'false']).transform((v) => v === 'true').default(false),
});
/** Steps without a body of their own accept none (null to the server) or `{}`. */
export const emptyStepBody = z.strictObject({}).nullish();
export const assignBody = z.strictObject({ assigneeId: idSchema });
export const commentBody = z.strictObject({ comment: noteSchema.optional() }).nullish();
export const rejectBody = z.strictObject({ reason: noteSchema });
export const cancelBody = z.strictObject({ reason: noteSchema.optional() }).nullish();
export const requestSummarySchema = z.object({
  id: z.string(),
  requesterId: z.string(),
  assigneeId: z.string().nullable(),
  category: z.string(),
  title: z.string(),
  description: z.string(),
  priority: z.enum(requestPriorities),
  status: z.enum(requestStatuses),
  submittedAt: timestampSchema.nullable(),
  slaDeadline: timestampSchema.nullable(),
  escalatedAt: timestampSchema.nullable(),
  breachedAt: timestampSchema.nullable(),
});
export const requestSchema = requestSummarySchema.extend({
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  approvals: z.array(z.object({ approverId: z.string(), asAdmin: z.boolean(), comment: z.string().nullable(), at: timestampSchema })),
  history: z.array(z.object({ step: z.string(), by: z.string().nullable(), from: z.string().nullable(), to: z.string(), note: z.string().nullable(), at: timestampSchema })),
  comments: z.array(z.object({ id: z.string(), authorId: z.string(), body: z.string(), at: timestampSchema })),
});
export const requestPageSchema = pageSchema(requestSummarySchema);

// SLA policies
export const slaPolicySchema = z.strictObject({
  category: z.enum(requestCategories),
  priority: z.enum(requestPriorities),
  responseHours: hoursSchema,
  resolutionHours: hoursSchema,
  escalateAfterHours: hoursSchema,
});
export const slaPoliciesBody = z.array(slaPolicySchema).min(1).max(requestCategories.length * requestPriorities.length);
export const slaPoliciesSchema = z.array(slaPolicySchema);

// Types
export type Role = z.infer<typeof roleSchema>;
export type CreateRoleBody = z.input<typeof createRoleBody>;
export type UpdateRoleBody = z.input<typeof updateRoleBody>;
export type Policy = z.infer<typeof policySchema>;
export type CreatePolicyBody = z.input<typeof createPolicyBody>;
export type AuthorizeBody = z.input<typeof authorizeBody>;
export type AuthorizeResult = z.infer<typeof authorizeSchema>;
export type ServiceRequest = z.infer<typeof requestSchema>;
export type ServiceRequestSummary = z.infer<typeof requestSummarySchema>;
export type CreateRequestBody = z.input<typeof createRequestBody>;
export type SlaPolicy = z.infer<typeof slaPolicySchema>;
