import { sql, type Kysely, type Transaction } from '@elcorp/db';
import type { NodeId, NodeReader, StoredNode } from '../domain/merkle.js';
import type { ComplianceDB } from './db/schema.js';

type Db = Kysely<ComplianceDB> | Transaction<ComplianceDB>;

const keyOf = (level: number, index: number | bigint) => `${level}:${index}`;

/**
 * Fetches the given nodes in one round trip: level 0 from the leaves, higher levels from
 * merkle_nodes. The reader throws for a node that is not stored (a bug or a torn table).
 */
export async function readNodes(db: Db, nodes: readonly NodeId[]): Promise<NodeReader> {
  if (nodes.length === 0) return readerOf(new Map());
  const { rows } = await nodeRows(nodes).execute(db);
  return readerOf(collect(rows));
}

/** What an inclusion proof needs to know before it can choose its tree size. */
export interface ProofHead {
  leafHash: Buffer | null;
  logSize: number;
  /** The latest checkpoint's tree size, or -1 before the first checkpoint. */
  checkpointSize: number;
}

/**
 * The entry's leaf hash, the log size and the latest checkpoint's size, and in the same round
 * trip the nodes of a proof at a tree size the caller guessed (the reader is only worth using
 * when the guess turns out to be the size the proof needs).
 */
export async function readProofHead(db: Db, seq: number, guessed: readonly NodeId[]): Promise<{ head: ProofHead; reader: NodeReader }> {
  const { rows } = await sql<NodeRow & { leaf_hash: Buffer | null; size: bigint | null; checkpoint_size: bigint | null }>`
    SELECT NULL::smallint AS level, NULL::bigint AS idx, NULL::bytea AS hash,
           (SELECT leaf_hash FROM audit_entries WHERE seq = ${BigInt(seq)}) AS leaf_hash,
           (SELECT size FROM log_head) AS size,
           (SELECT tree_size FROM checkpoints ORDER BY id DESC LIMIT 1) AS checkpoint_size
    ${guessed.length > 0 ? sql`UNION ALL SELECT n.level, n.idx, n.hash, NULL, NULL, NULL FROM (${nodeRows(guessed)}) AS n` : sql``}`.execute(db);
  const first = rows.find((row) => row.level === null)!;
  return {
    head: { leafHash: first.leaf_hash, logSize: Number(first.size ?? 0n), checkpointSize: first.checkpoint_size === null ? -1 : Number(first.checkpoint_size) },
    reader: readerOf(collect(rows.filter((row) => row.level !== null))),
  };
}

interface NodeRow {
  level: number | null;
  idx: bigint | null;
  hash: Buffer | null;
}

// One index lookup per wanted node (correlated subqueries): a join here may be planned as a
// scan of the whole table, which grows with the log.
function nodeRows(nodes: readonly NodeId[]) {
  const leaves = nodes.filter((n) => n.level === 0).map((n) => String(n.index + 1));
  const inner = nodes.filter((n) => n.level > 0);
  return sql<NodeRow>`
    SELECT w.level, w.idx, (SELECT m.hash FROM merkle_nodes m WHERE m.level = w.level AND m.idx = w.idx) AS hash
      FROM unnest(${inner.map((n) => n.level)}::smallint[], ${inner.map((n) => String(n.index))}::bigint[]) AS w(level, idx)
    UNION ALL
    SELECT 0::smallint, w.seq - 1, (SELECT e.leaf_hash FROM audit_entries e WHERE e.seq = w.seq)
      FROM unnest(${leaves}::bigint[]) AS w(seq)`;
}

function collect(rows: readonly NodeRow[]): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  for (const row of rows) if (row.hash && row.level !== null && row.idx !== null) found.set(keyOf(row.level, row.idx), row.hash);
  return found;
}

function readerOf(found: ReadonlyMap<string, Buffer>): NodeReader {
  return ({ level, index }) => {
    const hash = found.get(keyOf(level, index));
    if (!hash) throw new Error(`merkle node ${level}:${index} is not stored`);
    return hash;
  };
}

/** Stores the inner nodes an append completed (its leaves are the entries' own rows). */
export async function writeNodes(trx: Transaction<ComplianceDB>, nodes: readonly StoredNode[]): Promise<void> {
  const inner = nodes.filter((n) => n.level > 0);
  if (inner.length === 0) return;
  await sql`
    INSERT INTO merkle_nodes (level, idx, hash)
    SELECT * FROM unnest(${inner.map((n) => n.level)}::smallint[], ${inner.map((n) => String(n.index))}::bigint[], ${inner.map((n) => n.hash)}::bytea[])`.execute(trx);
}
