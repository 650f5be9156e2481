import { leafIndexOf } from '../domain/audit-entry.js';
import { ComplianceError } from '../domain/errors.js';
import { consistencyPath, inclusionPath, nodesRead } from '../domain/merkle.js';
import { readNodes, readProofHead } from '../infrastructure/tree-store.js';
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
 * The tree size the last proof without a tree size was taken at, per database: checkpoints
 * come every few seconds, so the next proof most likely needs the same size and can fetch its
 * nodes in the round trip that learns the size. A wrong guess costs one more round trip.
 */
const lastProofSize = new WeakMap<object, number>();

/**
 * RFC 9162 inclusion proof of entry `seq`. Without a tree size it proves against the latest
 * checkpoint, so the proof checks against a signed root; an entry newer than that checkpoint
 * is proved against the whole log.
 */
export async function inclusionProof(deps: Pick<ComplianceDeps, 'db'>, seq: number, treeSize?: number): Promise<InclusionProof> {
  const index = leafIndexOf(seq);
  const nodesAt = (size: number) => (size >= seq ? nodesRead((r) => inclusionPath(index, size, r)) : []);
  const guess = treeSize ?? lastProofSize.get(deps.db);
  const { head, reader } = await readProofHead(deps.db, seq, guess === undefined ? [] : nodesAt(guess));
  if (!head.leafHash) throw new ComplianceError('compliance.entry_not_found', `no audit entry ${seq}`);
  const at = treeSize ?? (head.checkpointSize >= seq ? head.checkpointSize : head.logSize);
  if (at < seq || at > head.logSize) throw new ComplianceError('compliance.tree_size_out_of_range', `treeSize must be between ${seq} and ${head.logSize}`);
  if (treeSize === undefined) lastProofSize.set(deps.db, at);
  const read = at === guess ? reader : await readNodes(deps.db, nodesAt(at));
  return { leafIndex: index, treeSize: at, leafHash: head.leafHash.toString('hex'), auditPath: inclusionPath(index, at, read).map((h) => h.toString('hex')) };
}

export async function consistencyProof(deps: Pick<ComplianceDeps, 'db'>, from: number, to: number): Promise<{ from: number; to: number; proof: string[] }> {
  const size = await logSize(deps);
  if (from > to) throw new ComplianceError('compliance.invalid_range', 'from must not exceed to');
  if (to > size) throw new ComplianceError('compliance.tree_size_out_of_range', `to must not exceed the log size ${size}`);
  const read = await readNodes(deps.db, nodesRead((r) => consistencyPath(from, to, r)));
  return { from, to, proof: consistencyPath(from, to, read).map((h) => h.toString('hex')) };
}
