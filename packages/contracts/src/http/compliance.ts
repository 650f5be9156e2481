import { z } from 'zod';
import { cursorSchema, idSchema, pageLimitSchema, timestampSchema } from './common.js';

// Compliance's public requests and responses (API.md, "Compliance"). Request queries and
// bodies are strict: unknown fields are a 422.

// Fields
export const incidentStatuses = ['open', 'investigating', 'mitigated', 'resolved', 'closed'] as const;
export const incidentSeverities = ['low', 'medium', 'high', 'critical'] as const;
export const reportTypes = ['transactions', 'access', 'sla', 'audit-summary'] as const;
export const reportFormats = ['json', 'csv', 'pdf'] as const;
export const reportStates = ['queued', 'running', 'completed', 'failed'] as const;
/** SHA-256 in lowercase hex: leaf hashes, roots, proof nodes. */
export const hashHexSchema = z.string().regex(/^[0-9a-f]{64}$/);
/** An instant given in a query or body: ISO 8601 with an offset. */
export const instantSchema = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
/** A log sequence or tree size: 1 or more. */
export const treeSizeSchema = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const text = (max: number) => z.string().trim().min(1).max(max);

// Requests
export const auditQuery = z.strictObject({
  type: z.string().regex(/^[a-z]+\.[a-z_]+\.[a-z_]+$/).optional(),
  actorId: idSchema.optional(),
  subjectId: z.string().min(1).max(128).optional(),
  from: instantSchema.optional(),
  to: instantSchema.optional(),
  limit: pageLimitSchema,
  cursor: cursorSchema.optional(),
});
export const proofParams = z.strictObject({ seq: treeSizeSchema });
export const proofQuery = z.strictObject({ treeSize: treeSizeSchema.optional() });
export const consistencyQuery = z.strictObject({ from: treeSizeSchema, to: treeSizeSchema });
export const exportQuery = z.strictObject({ format: z.enum(['jsonl', 'csv']), from: instantSchema.optional(), to: instantSchema.optional() });
export const incidentBody = z.strictObject({ title: text(200), description: text(5_000), severity: z.enum(incidentSeverities) });
export const incidentChangeBody = z.strictObject({ status: z.enum(incidentStatuses), rootCause: text(5_000).optional(), remediation: text(5_000).optional() });
export const incidentListQuery = z.strictObject({ status: z.enum(incidentStatuses).optional(), limit: pageLimitSchema, cursor: cursorSchema.optional() });
export const slaBreachQuery = z.strictObject({ from: instantSchema.optional(), to: instantSchema.optional(), limit: pageLimitSchema, cursor: cursorSchema.optional() });
export const reportBody = z.strictObject({ type: z.enum(reportTypes), from: instantSchema, to: instantSchema, format: z.enum(reportFormats) });
export const reportListQuery = z.strictObject({ limit: pageLimitSchema, cursor: cursorSchema.optional() });

export type AuditQuery = z.input<typeof auditQuery>;
export type IncidentBody = z.input<typeof incidentBody>;
export type IncidentChangeBody = z.input<typeof incidentChangeBody>;
export type ReportBody = z.input<typeof reportBody>;

// Responses
export const auditEntrySchema = z.object({
  seq: z.number().int(),
  eventId: idSchema,
  type: z.string(),
  version: z.number().int(),
  source: z.string(),
  occurredAt: timestampSchema,
  recordedAt: timestampSchema,
  actor: z.object({ userId: z.string(), sessionId: z.string().optional(), ip: z.string().optional(), userAgent: z.string().optional() }).nullable(),
  subject: z.object({ type: z.string(), id: z.string() }),
  /** Personal data decrypted for the reader, "[erased]" once its subject was erased. */
  data: z.record(z.string(), z.unknown()),
  leafHash: hashHexSchema,
  /** Extension: true once the entry's data moved to the archive (data reads {} here; export has it). */
  archived: z.literal(true).optional(),
});
export const checkpointSchema = z.object({
  treeSize: z.number().int(),
  rootHash: hashHexSchema,
  issuedAt: timestampSchema,
  keyId: z.string(),
  /** C2SP tlog-checkpoint text: origin, tree size, base64 root hash, each ending in "\n". */
  note: z.string(),
  /** base64 Ed25519 signature of exactly the note's bytes. */
  signature: z.string(),
});
export const checkpointKeysSchema = z.object({
  keys: z.array(
    z.object({
      keyId: z.string(),
      jwk: z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), kid: z.string(), use: z.literal('sig'), alg: z.literal('EdDSA') }),
      /** `<origin>+<8 hex key hash>+<base64(0x01 ‖ public key)>` (Go's sumdb/note). */
      noteVerifierKey: z.string(),
      createdAt: timestampSchema,
      retiredAt: timestampSchema.nullable(),
    }),
  ),
});
export const inclusionProofSchema = z.object({ leafIndex: z.number().int(), treeSize: z.number().int(), leafHash: hashHexSchema, auditPath: z.array(hashHexSchema) });
export const consistencyProofSchema = z.object({ from: z.number().int(), to: z.number().int(), proof: z.array(hashHexSchema) });
export const verificationSchema = z.object({ valid: z.boolean(), treeSize: z.number().int(), rootHash: hashHexSchema, firstInvalidSeq: z.number().int().nullable() });
export const incidentSchema = z.object({
  id: idSchema,
  title: z.string(),
  description: z.string(),
  severity: z.enum(incidentSeverities),
  status: z.enum(incidentStatuses),
  rootCause: z.string().nullable(),
  remediation: z.string().nullable(),
  openedBy: idSchema,
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  resolvedAt: timestampSchema.nullable(),
});
export const incidentWithHistorySchema = incidentSchema.extend({
  history: z.array(z.object({ status: z.enum(incidentStatuses), note: z.string().nullable(), by: idSchema, at: timestampSchema })),
});
export const slaBreachSchema = z.object({ eventId: idSchema, requestId: idSchema, slaDeadline: timestampSchema, overdueBy: z.number().int(), breachedAt: timestampSchema });
export const reportStatusSchema = z.object({
  id: idSchema,
  type: z.enum(reportTypes),
  format: z.enum(reportFormats),
  from: timestampSchema,
  to: timestampSchema,
  status: z.enum(reportStates),
  /** Percent of the report's rows read so far. */
  progress: z.number().int(),
  createdAt: timestampSchema,
  completedAt: timestampSchema.nullable(),
  error: z.string().nullable(),
});
export const reportAcceptedSchema = reportStatusSchema.pick({ id: true, status: true });

export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type Checkpoint = z.infer<typeof checkpointSchema>;
export type CheckpointKeys = z.infer<typeof checkpointKeysSchema>;
export type InclusionProof = z.infer<typeof inclusionProofSchema>;
export type ConsistencyProof = z.infer<typeof consistencyProofSchema>;
export type Verification = z.infer<typeof verificationSchema>;
export type Incident = z.infer<typeof incidentSchema>;
export type IncidentWithHistory = z.infer<typeof incidentWithHistorySchema>;
export type SlaBreach = z.infer<typeof slaBreachSchema>;
export type ReportStatus = z.infer<typeof reportStatusSchema>;
