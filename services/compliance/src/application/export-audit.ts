import { csvLine } from '../domain/csv.js';
import { entryFromRow } from '../infrastructure/entries.js';
import { filteredEntries, revealPage, type AuditFilter, type AuditItem } from './audit-query.js';
import type { ComplianceDeps } from './ports.js';

const exportPageSize = 1_000;

export const csvColumns = ['seq', 'eventId', 'type', 'version', 'source', 'occurredAt', 'recordedAt', 'subjectType', 'subjectId', 'actor', 'data', 'leafHash'] as const;

/** Every matching entry, decrypted for the reader, one page in memory at a time. */
export async function* auditEntries(deps: Pick<ComplianceDeps, 'db' | 'keys'>, filter: AuditFilter): AsyncGenerator<AuditItem> {
  let after = 0;
  for (;;) {
    const rows = await filteredEntries(deps.db, filter, after).limit(exportPageSize).execute();
    if (rows.length === 0) return;
    yield* await revealPage(deps, rows.map((row) => ({ entry: entryFromRow(row), leafHash: row.leaf_hash })));
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
