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
  const leaves = nodes.filter((n) => n.level === 0).map((n) => String(n.index + 1));
  const inner = nodes.filter((n) => n.level > 0);
  const found = new Map<string, Buffer>();
  if (nodes.length > 0) {
    // One index lookup per wanted node (correlated subqueries): a join here may be planned
    // as a scan of the whole table, which grows with the log.
    const { rows } = await sql<{ level: number; idx: bigint; hash: Buffer | null }>`
      SELECT w.level, w.idx, (SELECT m.hash FROM merkle_nodes m WHERE m.level = w.level AND m.idx = w.idx) AS hash
        FROM unnest(${inner.map((n) => n.level)}::smallint[], ${inner.map((n) => String(n.index))}::bigint[]) AS w(level, idx)
      UNION ALL
      SELECT 0::smallint, w.seq - 1, (SELECT e.leaf_hash FROM audit_entries e WHERE e.seq = w.seq)
        FROM unnest(${leaves}::bigint[]) AS w(seq)`.execute(db);
    for (const row of rows) if (row.hash) found.set(keyOf(row.level, row.idx), row.hash);
  }
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
