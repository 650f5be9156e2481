import type { App } from '@elcorp/kit';
import { Readable } from 'node:stream';
import { queryAudit } from '../application/audit-query.js';
import { latestCheckpoint, latestSignedNote } from '../application/checkpoints.js';
import { exportAudit } from '../application/export-audit.js';
import type { ComplianceDeps } from '../application/ports.js';
import { consistencyProof, inclusionProof } from '../application/proofs.js';
import { verifyLog } from '../application/verify-log.js';
import { authorize } from './guard.js';
import * as c from '@elcorp/contracts/http';
import { dto } from './dto.js';

const tags = ['audit'];

/** text/plain asked for, ahead of (or without) JSON: the signed note. */
function wantsSignedNote(accept: string | undefined): boolean {
  const types = (accept ?? '').split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  const note = types.indexOf('text/plain');
  const json = types.findIndex((t) => t === 'application/json' || t === '*/*');
  return note >= 0 && (json < 0 || note < json);
}
const auditLog = { type: 'AuditLog', id: 'audit-log' } as const;

/** The audit log's routes, inside the service's protected scope (prefix /api/v1/compliance). */
export function registerAuditRoutes(scope: App, deps: ComplianceDeps, publicRoute: Record<string, unknown>): void {
  scope.get('/audit', { schema: { tags, querystring: c.auditQuery, response: { 200: c.pageSchema(c.auditEntrySchema) } } }, async (request) => {
    await authorize(request, 'audit:view', auditLog);
    const { limit, cursor, ...filter } = request.query;
    return dto(await queryAudit(deps, filter, { limit, ...(cursor ? { cursor } : {}) })) as never;
  });

  scope.get('/audit/checkpoint', { schema: { tags, response: { 200: c.checkpointSchema } } }, async (request, reply) => {
    await authorize(request, 'audit:view', auditLog);
    // A signed note for note verifiers (Go's sumdb/note), JSON for everyone else.
    if (wantsSignedNote(request.headers.accept)) {
      const note = await latestSignedNote(deps);
      return reply.type('text/plain; charset=utf-8').serializer((payload: unknown) => String(payload)).send(note as never);
    }
    return dto(await latestCheckpoint(deps)) as never;
  });

  scope.get('/audit/keys', { schema: { tags, response: { 200: c.checkpointKeysSchema } }, config: publicRoute }, async () => dto({ keys: await deps.signer.published() }) as never);

  scope.get('/audit/entries/:seq/proof', { schema: { tags, params: c.proofParams, querystring: c.proofQuery, response: { 200: c.inclusionProofSchema } } }, async (request) => {
    await authorize(request, 'audit:view', auditLog);
    return inclusionProof(deps, request.params.seq, request.query.treeSize);
  });

  scope.get('/audit/consistency', { schema: { tags, querystring: c.consistencyQuery, response: { 200: c.consistencyProofSchema } } }, async (request) => {
    await authorize(request, 'audit:view', auditLog);
    return consistencyProof(deps, request.query.from, request.query.to);
  });

  scope.post('/audit/verifications', { schema: { tags, response: { 200: c.verificationSchema } } }, async (request) => {
    await authorize(request, 'audit:view', auditLog);
    return verifyLog(deps);
  });

  scope.get('/audit/export', { schema: { tags, querystring: c.exportQuery } }, async (request, reply) => {
    await authorize(request, 'audit:export', auditLog);
    const { format, ...filter } = request.query;
    const name = `audit-log-${new Date().toISOString().slice(0, 10)}.${format}`;
    return reply
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
      .header('content-disposition', `attachment; filename="${name}"`)
      .send(Readable.from(exportAudit(deps, format, filter)));
  });
}
