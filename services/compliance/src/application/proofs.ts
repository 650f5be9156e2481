import { sql } from '@elcorp/db';
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
  // The entry, the log size and the latest checkpoint's size in one round trip.
  const { rows } = await sql<{ leaf_hash: Buffer | null; size: bigint; checkpoint_size: bigint | null }>`
    SELECT (SELECT leaf_hash FROM audit_entries WHERE seq = ${BigInt(seq)}) AS leaf_hash,
           (SELECT size FROM log_head) AS size,
           (SELECT tree_size FROM checkpoints ORDER BY id DESC LIMIT 1) AS checkpoint_size`.execute(deps.db);
  const found = rows[0]!;
  if (!found.leaf_hash) throw new ComplianceError('compliance.entry_not_found', `no audit entry ${seq}`);
  const size = Number(found.size);
  const checkpointSize = found.checkpoint_size === null ? -1 : Number(found.checkpoint_size);
  const at = treeSize ?? (checkpointSize >= seq ? checkpointSize : size);
  if (at < seq || at > size) throw new ComplianceError('compliance.tree_size_out_of_range', `treeSize must be between ${seq} and ${size}`);
  const index = leafIndexOf(seq);
  const read = await readNodes(deps.db, nodesRead((r) => inclusionPath(index, at, r)));
  return { leafIndex: index, treeSize: at, leafHash: found.leaf_hash.toString('hex'), auditPath: inclusionPath(index, at, read).map((h) => h.toString('hex')) };
}

export async function consistencyProof(deps: Pick<ComplianceDeps, 'db'>, from: number, to: number): Promise<{ from: number; to: number; proof: string[] }> {
  const size = await logSize(deps);
  if (from > to) throw new ComplianceError('compliance.invalid_range', 'from must not exceed to');
  if (to > size) throw new ComplianceError('compliance.tree_size_out_of_range', `to must not exceed the log size ${size}`);
  const read = await readNodes(deps.db, nodesRead((r) => consistencyPath(from, to, r)));
  return { from, to, proof: consistencyPath(from, to, read).map((h) => h.toString('hex')) };
}
