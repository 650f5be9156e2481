import type { StoredActor, StoredEntry } from '../domain/audit-entry.js';
import type { AuditEntriesTable } from './db/schema.js';

/** The stored entry a row holds, exactly as it was hashed. */
export function entryFromRow(row: Omit<AuditEntriesTable, 'leaf_hash'>): StoredEntry {
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
    data: row.data as Record<string, unknown>,
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
] as const;
