import { leafIndexOf } from '../domain/audit-entry.js';
import { ComplianceError } from '../domain/errors.js';
import { consistencyPath, inclusionPath, nodesRead } from '../domain/merkle.js';
import { readNodes } from '../infrastructure/tree-store.js';
import type { ComplianceDeps } from './ports.js';

export interface InclusionProof {
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  auditPath: string[];
}

async function logSize(deps: Pick<ComplianceDeps, 'db'>): Promise<number> {
  return Number((await deps.db.selectFrom('log_head').select('size').executeTakeFirstOrThrow()).size);
}

/**
 * RFC 9162 inclusion proof of entry `seq`. Without a tree size it proves against the latest
 * checkpoint, so the proof checks against a signed root; an entry newer than that checkpoint
 * is proved against the whole log.
 */
export async function inclusionProof(deps: Pick<ComplianceDeps, 'db'>, seq: number, treeSize?: number): Promise<InclusionProof> {
  const entry = await deps.db.selectFrom('audit_entries').select('leaf_hash').where('seq', '=', BigInt(seq)).executeTakeFirst();
  if (!entry) throw new ComplianceError('compliance.entry_not_found', `no audit entry ${seq}`);
  const size = await logSize(deps);
  let proveAt = treeSize;
  if (proveAt === undefined) {
    const latest = await deps.db.selectFrom('checkpoints').select('tree_size').orderBy('id', 'desc').limit(1).executeTakeFirst();
    proveAt = latest && Number(latest.tree_size) >= seq ? Number(latest.tree_size) : size;
  }
  if (proveAt < seq || proveAt > size) throw new ComplianceError('compliance.tree_size_out_of_range', `treeSize must be between ${seq} and ${size}`);
  const index = leafIndexOf(seq);
  const at = proveAt;
  const read = await readNodes(deps.db, nodesRead((r) => inclusionPath(index, at, r)));
  return { leafIndex: index, treeSize: at, leafHash: entry.leaf_hash.toString('hex'), auditPath: inclusionPath(index, at, read).map((h) => h.toString('hex')) };
}

export async function consistencyProof(deps: Pick<ComplianceDeps, 'db'>, from: number, to: number): Promise<{ from: number; to: number; proof: string[] }> {
  const size = await logSize(deps);
  if (from > to) throw new ComplianceError('compliance.invalid_range', 'from must not exceed to');
  if (to > size) throw new ComplianceError('compliance.tree_size_out_of_range', `to must not exceed the log size ${size}`);
  const read = await readNodes(deps.db, nodesRead((r) => consistencyPath(from, to, r)));
  return { from, to, proof: consistencyPath(from, to, read).map((h) => h.toString('hex')) };
}
