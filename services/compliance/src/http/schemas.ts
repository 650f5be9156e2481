import { z } from 'zod';
import { incidentStatuses, severities } from '../domain/incident.js';
import { reportFormats, reportTypes } from '../application/report-content.js';

/** The public compliance schemas, kept together so they can move to @elcorp/contracts whole. */
export const limit = z.coerce.number().int().min(1).max(100).default(20);
export const cursor = z.string().min(1).max(200);
export const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const hash = z.string().regex(/^[0-9a-f]{64}$/);
const text = (max: number) => z.string().trim().min(1).max(max);

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const auditQuery = z.strictObject({
  type: z.string().regex(/^[a-z]+\.[a-z_]+\.[a-z_]+$/).optional(),
  actorId: z.uuid().optional(),
  subjectId: z.string().min(1).max(128).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  limit,
  cursor: cursor.optional(),
});

export const auditEntry = z.object({
  seq: z.number().int(),
  eventId: z.uuid(),
  type: z.string(),
  version: z.number().int(),
  source: z.string(),
  occurredAt: z.string(),
  recordedAt: z.string(),
  actor: z.object({ userId: z.string(), sessionId: z.string().optional(), ip: z.string().optional(), userAgent: z.string().optional() }).nullable(),
  subject: z.object({ type: z.string(), id: z.string() }),
  data: z.record(z.string(), z.unknown()),
  leafHash: hash,
});

export const checkpoint = z.object({
  treeSize: z.number().int(),
  rootHash: hash,
  issuedAt: z.string(),
  keyId: z.string(),
  note: z.string(),
  signature: z.string(),
});

export const keys = z.object({
  keys: z.array(
    z.object({
      keyId: z.string(),
      jwk: z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), kid: z.string(), use: z.literal('sig'), alg: z.literal('EdDSA') }),
      noteVerifierKey: z.string(),
      createdAt: z.string(),
      retiredAt: z.string().nullable(),
    }),
  ),
});

const treeSize = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
export const proofParams = z.strictObject({ seq: treeSize });
export const proofQuery = z.strictObject({ treeSize: treeSize.optional() });
export const inclusionProof = z.object({ leafIndex: z.number().int(), treeSize: z.number().int(), leafHash: hash, auditPath: z.array(hash) });
export const consistencyQuery = z.strictObject({ from: treeSize, to: treeSize });
export const consistencyProof = z.object({ from: z.number().int(), to: z.number().int(), proof: z.array(hash) });
export const verification = z.object({ valid: z.boolean(), treeSize: z.number().int(), rootHash: hash, firstInvalidSeq: z.number().int().nullable() });
export const exportQuery = z.strictObject({ format: z.enum(['jsonl', 'csv']), from: isoDate.optional(), to: isoDate.optional() });

export const newIncident = z.strictObject({ title: text(200), description: text(5_000), severity: z.enum(severities) });
export const incidentChange = z.strictObject({ status: z.enum(incidentStatuses), rootCause: text(5_000).optional(), remediation: text(5_000).optional() });
export const incidentParams = z.strictObject({ id: z.uuid() });
export const incidentQuery = z.strictObject({ status: z.enum(incidentStatuses).optional(), limit, cursor: cursor.optional() });
export const incident = z.object({
  id: z.uuid(),
  title: z.string(),
  description: z.string(),
  severity: z.enum(severities),
  status: z.enum(incidentStatuses),
  rootCause: z.string().nullable(),
  remediation: z.string().nullable(),
  openedBy: z.uuid(),
  createdAt: z.string(),
  updatedAt: z.string(),
  resolvedAt: z.string().nullable(),
});
export const incidentWithHistory = incident.extend({
  history: z.array(z.object({ status: z.enum(incidentStatuses), note: z.string().nullable(), by: z.uuid(), at: z.string() })),
});

export const breachQuery = z.strictObject({ from: isoDate.optional(), to: isoDate.optional(), limit, cursor: cursor.optional() });
export const breach = z.object({ eventId: z.uuid(), requestId: z.uuid(), slaDeadline: z.string(), overdueBy: z.number().int(), breachedAt: z.string() });

export const newReport = z.strictObject({ type: z.enum(reportTypes), from: isoDate, to: isoDate, format: z.enum(reportFormats) });
export const reportParams = z.strictObject({ id: z.uuid() });
export const reportQuery = z.strictObject({ limit, cursor: cursor.optional() });
export const reportStatus = z.object({
  id: z.uuid(),
  type: z.enum(reportTypes),
  format: z.enum(reportFormats),
  from: z.string(),
  to: z.string(),
  status: z.enum(['queued', 'running', 'completed', 'failed']),
  progress: z.number().int(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  error: z.string().nullable(),
});

/** Dates become ISO 8601 strings, as API.md's responses carry them. */
export function dto<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value));
}
