import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { sql } from '@elcorp/db';
import { entryLeafHash } from '../domain/audit-entry.js';
import { parseCheckpointNote } from '../domain/checkpoint.js';
import { appendNodes, frontier, FrontierTree, leafHash, nodeHash, type Hash, type StoredNode } from '../domain/merkle.js';
import { archivedInputs, entryColumns, entryFromRow } from '../infrastructure/entries.js';
import type { ComplianceDeps } from './ports.js';

export interface Verification {
  valid: boolean;
  treeSize: number;
  rootHash: string;
  firstInvalidSeq: number | null;
}

const pageSize = 2_000;

/**
 * Recomputes the log from storage, page by page, keeping only tree frontiers in memory:
 * - every entry's leaf hash from its columns (an archived entry: from the archive's bytes),
 *   against the stored leaf hash (names the row);
 * - the tree of the recomputed leaves, whose root at the latest checkpoint's size must be the
 *   signed root, under a valid signature;
 * - every stored inner node, against its stored children (names the first leaf of a node
 *   that does not match, without blaming the nodes above it).
 */
export async function verifyLog(deps: Pick<ComplianceDeps, 'db' | 'origin'>): Promise<Verification> {
  const { db } = deps;
  const size = Number((await db.selectFrom('log_head').select('size').executeTakeFirstOrThrow()).size);
  const checkpoint = await db
    .selectFrom('checkpoints')
    .innerJoin('signing_keys', 'signing_keys.key_id', 'checkpoints.key_id')
    .select(['tree_size', 'note', 'signature', 'public_key'])
    .orderBy('checkpoints.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const checkpointSize = checkpoint ? Number(checkpoint.tree_size) : -1;
  const recomputed = new FrontierTree();
  const stored = new StoredTreeChecker(deps, (seq) => note(seq));
  let firstInvalidSeq: number | null = null;
  const note = (seq: number) => {
    if (firstInvalidSeq === null || seq < firstInvalidSeq) firstInvalidSeq = seq;
  };
  let checkpointRoot: Hash | null = checkpointSize === 0 ? recomputed.root() : null;
  while (recomputed.treeSize < size) {
    const done = recomputed.treeSize;
    const rows = await db.selectFrom('audit_entries').select(entryColumns).where('seq', '>', BigInt(done)).orderBy('seq').limit(pageSize).execute();
    if (rows.length === 0) break;
    const archived = await archivedInputs(db, rows.filter((r) => r.archived_at !== null).map((r) => Number(r.seq)));
    const leaves: Hash[] = [];
    const storedLeaves: Checked[] = [];
    rows.forEach((row, i) => {
      const input = archived.get(Number(row.seq));
      // An archived row whose archive is missing cannot be recomputed: it counts as altered.
      const leaf = row.archived_at === null ? entryLeafHash(entryFromRow(row)) : input ? leafHash(input) : Buffer.alloc(32);
      const ok = Number(row.seq) === done + i + 1 && leaf.equals(row.leaf_hash);
      if (!ok) note(done + i + 1);
      leaves.push(leaf);
      storedLeaves.push({ hash: row.leaf_hash, ok });
    });
    // Split the page where the checkpoint's tree ends, to take its root on the way.
    const cut = checkpointSize > done && checkpointSize < done + leaves.length ? checkpointSize - done : leaves.length;
    recomputed.append(leaves.slice(0, cut));
    if (recomputed.treeSize === checkpointSize) checkpointRoot = recomputed.root();
    if (cut < leaves.length) recomputed.append(leaves.slice(cut));
    await stored.append(storedLeaves);
  }
  if (recomputed.treeSize < size) note(recomputed.treeSize + 1);
  const checkpointValid =
    !checkpoint ||
    (checkpointRoot !== null &&
      checkpointRoot.equals(parseCheckpointNote(checkpoint.note).rootHash) &&
      verifySignature(
        null,
        Buffer.from(checkpoint.note, 'utf8'),
        createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: checkpoint.public_key.toString('base64url') }, format: 'jwk' }),
        checkpoint.signature,
      ));
  return { valid: firstInvalidSeq === null && checkpointValid, treeSize: size, rootHash: recomputed.root().toString('hex'), firstInvalidSeq };
}

interface Checked {
  hash: Hash;
  ok: boolean;
}

/**
 * Checks each stored inner node against its own stored children, so a bad node is blamed
 * once and the nodes above it (which hash it faithfully) are not. Keeps the frontier only.
 */
class StoredTreeChecker {
  private size = 0;
  private known = new Map<string, Checked>();

  constructor(
    private readonly deps: Pick<ComplianceDeps, 'db'>,
    private readonly note: (seq: number) => void,
  ) {}

  async append(leaves: readonly Checked[]): Promise<void> {
    leaves.forEach((leaf, i) => this.known.set(`0:${this.size + i}`, leaf));
    const completed = appendNodes(this.size, leaves.map((l) => l.hash), ({ level, index }) => this.known.get(`${level}:${index}`)!.hash).filter((n) => n.level > 0);
    const stored = await this.storedHashes(completed);
    // appendNodes lists nodes level by level, so children are checked before parents.
    for (const { level, index } of completed) {
      const left = this.known.get(`${level - 1}:${2 * index}`)!;
      const right = this.known.get(`${level - 1}:${2 * index + 1}`)!;
      const expected = nodeHash(left.hash, right.hash);
      const found = stored.get(`${level}:${index}`);
      const matches = found !== undefined && found.equals(expected);
      if (!matches && left.ok && right.ok) this.note(index * 2 ** level + 1);
      this.known.set(`${level}:${index}`, { hash: found ?? expected, ok: matches && left.ok && right.ok });
    }
    this.size += leaves.length;
    this.known = new Map(frontier(this.size).map((n) => [`${n.level}:${n.index}`, this.known.get(`${n.level}:${n.index}`)!]));
  }

  private async storedHashes(nodes: readonly StoredNode[]): Promise<Map<string, Buffer>> {
    if (nodes.length === 0) return new Map();
    const { rows } = await sql<{ level: number; idx: bigint; hash: Buffer | null }>`
      SELECT w.level, w.idx, (SELECT m.hash FROM merkle_nodes m WHERE m.level = w.level AND m.idx = w.idx) AS hash
        FROM unnest(${nodes.map((n) => n.level)}::smallint[], ${nodes.map((n) => String(n.index))}::bigint[]) AS w(level, idx)`.execute(this.deps.db);
    return new Map(rows.filter((row) => row.hash !== null).map((row) => [`${row.level}:${row.idx}`, row.hash!]));
  }
}
