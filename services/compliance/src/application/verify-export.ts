import { entryLeafHash, restoreStoredEntry, type RevealedEntry } from '../domain/audit-entry.js';
import { openSignedCheckpoint, type CheckpointBody } from '../domain/checkpoint.js';
import { FrontierTree } from '../domain/merkle.js';

export interface ExportVerdict {
  valid: boolean;
  /** The checkpoint's tree size (0 when the checkpoint did not open). */
  treeSize: number;
  reason?: string;
  /** The first entry whose content is not what the log holds, when one is named. */
  firstInvalidSeq?: number;
}

/** Called every `every` entries and once at the end: entries done, entries the checkpoint covers. */
export type Progress = (done: number, total: number) => void;

/**
 * Opens a signed checkpoint with the first of the verifier keys that signed it. The keys are
 * the operator's (or, when they chose so, the service's published ones).
 */
export function openWithAnyKey(signedCheckpoint: string, verifierKeys: readonly string[]): CheckpointBody {
  let last: Error = new SyntaxError('no verifier key given');
  for (const key of verifierKeys) {
    try {
      return openSignedCheckpoint(signedCheckpoint, key);
    } catch (err) {
      last = err as Error;
    }
  }
  throw last.message === 'the checkpoint is not signed by this key' && verifierKeys.length > 1 ? new SyntaxError('the checkpoint is not signed by any of these keys') : last;
}

interface ExportLine extends RevealedEntry {
  leafHash?: unknown;
  sealed?: unknown;
}

/**
 * The leaf hash of one exported line, recomputed from its content: the stored form is the
 * line's entry with its ciphertexts (`sealed`) put back, hashed as the log hashed it. The
 * line's own `leafHash` is never trusted; when present it must agree.
 */
function lineLeafHash(line: string, seq: number): { hash: Buffer } | { reason: string } {
  let row: ExportLine;
  try {
    row = JSON.parse(line) as ExportLine;
  } catch {
    return { reason: `entry ${seq}: the line is not JSON (cut short or altered)` };
  }
  if (typeof row !== 'object' || row === null || row.seq !== seq) return { reason: `expected entry ${seq}, found ${typeof row === 'object' && row !== null && typeof row.seq === 'number' ? `entry ${row.seq}` : 'something else'}` };
  if (typeof row.sealed !== 'object' || row.sealed === null) return { reason: `entry ${seq} has no "sealed" member: not a JSON Lines export of this version` };
  let hash: Buffer;
  try {
    hash = entryLeafHash(restoreStoredEntry(row, row.sealed as Record<string, unknown>));
  } catch (err) {
    return { reason: `entry ${seq}: ${(err as Error).message}` };
  }
  if (row.leafHash !== undefined && row.leafHash !== hash.toString('hex')) return { reason: `entry ${seq}: its content does not match its leaf hash` };
  return { hash };
}

/**
 * Verifies a JSON Lines audit export against a signed checkpoint: the checkpoint opens with
 * one of the verifier keys, and the leaf hashes recomputed from the entries, in sequence from
 * 1, rebuild the checkpoint's root. Lines after the checkpoint's size are not read.
 */
export async function verifyExport(lines: AsyncIterable<string>, signedCheckpoint: string, verifierKeys: readonly string[], progress: Progress = () => {}, every = 10_000): Promise<ExportVerdict> {
  let checkpoint: CheckpointBody;
  try {
    checkpoint = openWithAnyKey(signedCheckpoint, verifierKeys);
  } catch (err) {
    return { valid: false, treeSize: 0, reason: (err as Error).message };
  }
  const total = checkpoint.treeSize;
  const tree = new FrontierTree();
  for await (const line of lines) {
    if (tree.treeSize === total) break;
    if (line.trim() === '') continue;
    const seq = tree.treeSize + 1;
    const leaf = lineLeafHash(line, seq);
    if ('reason' in leaf) return { valid: false, treeSize: total, reason: leaf.reason, firstInvalidSeq: seq };
    tree.append([leaf.hash]);
    if (tree.treeSize % every === 0) progress(tree.treeSize, total);
  }
  if (tree.treeSize < total) return { valid: false, treeSize: total, reason: `the export ends at entry ${tree.treeSize}, before the checkpoint's ${total}` };
  progress(tree.treeSize, total);
  // Every line agreed with its own leafHash, yet the root differs: lines and hashes were
  // rewritten together (or the checkpoint is of another log); no single entry can be named.
  if (!tree.root().equals(checkpoint.rootHash)) return { valid: false, treeSize: total, reason: 'the entries do not rebuild the signed root' };
  return { valid: true, treeSize: total };
}
