import { sealedValuesOf, type SealedValue } from '../domain/audit-entry.js';
import { csvLine } from '../domain/csv.js';
import { archivedInputs, entryFromArchive, entryFromRow } from '../infrastructure/entries.js';
import { filteredEntries, revealPage, type AuditFilter, type AuditItem } from './audit-query.js';
import type { ComplianceDeps } from './ports.js';

const exportPageSize = 1_000;

export const csvColumns = ['seq', 'eventId', 'type', 'version', 'source', 'occurredAt', 'recordedAt', 'subjectType', 'subjectId', 'actor', 'data', 'leafHash'] as const;

/**
/**
 * An entry for a reader, with its ciphertexts by place (`sealed`): with them the exact stored
 * form, and so the leaf hash, is rebuilt from the export alone (`pnpm elcorp audit verify`).
 */
export interface ExportedItem extends AuditItem {
  sealed: Record<string, SealedValue>;
}

/**
 * Every matching entry, decrypted for the reader, one page in memory at a time. An archived
 * entry is read back whole from the archive (and carries `archived: true`).
 */
export async function* auditEntries(deps: Pick<ComplianceDeps, 'db' | 'keys'>, filter: AuditFilter): AsyncGenerator<ExportedItem> {
  let after = 0;
  for (;;) {
    const rows = await filteredEntries(deps.db, filter, after).limit(exportPageSize).execute();
    if (rows.length === 0) return;
    const archive = await archivedInputs(deps.db, rows.filter((r) => r.archived_at !== null).map((r) => Number(r.seq)));
    const entries = rows.map((row) => {
      if (row.archived_at === null) return { entry: entryFromRow(row), leafHash: row.leaf_hash, archived: false };
      const input = archive.get(Number(row.seq));
      const entry = input && entryFromArchive(input);
      // A torn archive is damage to the log, not bad input: verification names the entry.
      if (!entry) throw new Error(`the archive of audit entry ${row.seq} is missing or unreadable`);
      return { entry, leafHash: row.leaf_hash, archived: true };
    });
    const items = await revealPage(deps, entries);
    yield* items.map((item, i) => ({ ...item, sealed: sealedValuesOf(entries[i]!.entry) }));
    after = Number(rows.at(-1)!.seq);
    if (rows.length < exportPageSize) return;
  }
}

/** The export as lines of text: JSON Lines, or CSV with a header. */
export async function* exportAudit(deps: Pick<ComplianceDeps, 'db' | 'keys'>, format: 'jsonl' | 'csv', filter: AuditFilter): AsyncGenerator<string> {
  if (format === 'csv') yield csvLine(csvColumns);
  for await (const item of auditEntries(deps, filter)) {
    if (format === 'jsonl') {
      yield `${JSON.stringify(item)}\n`;
    } else {
      yield csvLine([item.seq, item.eventId, item.type, item.version, item.source, item.occurredAt, item.recordedAt, item.subject.type, item.subject.id, item.actor, item.data, item.leafHash]);
    }
  }
}
