import type { Kysely, Transaction } from '@elcorp/db';
import type { StoredActor, StoredEntry } from '../domain/audit-entry.js';
import type { AuditEntriesTable, ComplianceDB } from './db/schema.js';

type Db = Kysely<ComplianceDB> | Transaction<ComplianceDB>;

/**
 * The stored entry a live row holds, exactly as it was hashed. An archived row has no data
 * (and no sealed actor fields): it reads as `{}` here, and its hashed form is in the archive.
 */
export function entryFromRow(row: Omit<AuditEntriesTable, 'leaf_hash' | 'archived_at'>): StoredEntry {
  return {
    seq: Number(row.seq),
    eventId: row.event_id,
    type: row.type,
    version: row.version,
    source: row.source,
    occurredAt: row.occurred_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
    subject: { type: row.subject_type, id: row.subject_id },
    actor: (row.actor ?? null) as StoredActor | null,
    data: (row.data ?? {}) as Record<string, unknown>,
  };
}

export const entryColumns = [
  'seq',
  'event_id',
  'type',
  'version',
  'source',
  'occurred_at',
  'recorded_at',
  'subject_type',
  'subject_id',
  'actor',
  'data',
  'leaf_hash',
  'archived_at',
] as const;

/** The archived bytes (the leaf hash's input) of the given sequences, one round trip. */
export async function archivedInputs(db: Db, seqs: readonly number[]): Promise<Map<number, Buffer>> {
  if (seqs.length === 0) return new Map();
  const rows = await db
    .selectFrom('archived_entries')
    .select(['seq', 'leaf_input'])
    .where('seq', 'in', seqs.map((s) => BigInt(s)))
    .execute();
  return new Map(rows.map((r) => [Number(r.seq), r.leaf_input]));
}

/** An archived entry as stored and hashed; undefined when its bytes are not an entry. */
export function entryFromArchive(leafInput: Buffer): StoredEntry | undefined {
  try {
    const entry = JSON.parse(leafInput.toString('utf8')) as StoredEntry;
    return typeof entry === 'object' && entry !== null && typeof entry.seq === 'number' ? entry : undefined;
  } catch {
    return undefined;
  }
}
