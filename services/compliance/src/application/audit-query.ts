import { sql, type Kysely } from '@elcorp/db';
import { revealEntry, type RevealedEntry, type SealedValue, type StoredEntry } from '../domain/audit-entry.js';
import { ComplianceError } from '../domain/errors.js';
import type { ComplianceDB } from '../infrastructure/db/schema.js';
import { entryColumns, entryFromRow } from '../infrastructure/entries.js';
import { unsealerFor } from '../infrastructure/subject-keys.js';
import type { ComplianceDeps } from './ports.js';

export interface AuditFilter {
  type?: string;
  actorId?: string;
  subjectId?: string;
  from?: Date;
  to?: Date;
}

export interface AuditItem extends RevealedEntry {
  leafHash: string;
  /**
   * Present (true) once the entry's data moved to the archive: the query shows it with
   * `data: {}` and no sealed actor fields; the export reads it back from the archive.
   */
  archived?: true;
}

/** A page entry to reveal: its stored form, leaf hash and whether it is archived. */
export interface PageEntry {
  entry: StoredEntry;
  leafHash: Buffer;
  archived: boolean;
}

export function encodeCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const match = /^seq:(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new ComplianceError('compliance.invalid_cursor', 'the cursor is not one this service gave');
  return Number(match[1]);
}

/** Entries matching the filter, in sequence order, after `afterSeq`. */
export function filteredEntries(db: Kysely<ComplianceDB>, filter: AuditFilter, afterSeq: number) {
  let query = db.selectFrom('audit_entries').select(entryColumns).where('seq', '>', BigInt(afterSeq));
  if (filter.type) query = query.where('type', '=', filter.type);
  if (filter.actorId) query = query.where(sql<string>`actor ->> 'userId'`, '=', filter.actorId);
  if (filter.subjectId) query = query.where('subject_id', '=', filter.subjectId);
  if (filter.from) query = query.where('occurred_at', '>=', filter.from);
  if (filter.to) query = query.where('occurred_at', '<', filter.to);
  return query.orderBy('seq');
}

function sealedSubjects(entry: StoredEntry): string[] {
  const values: unknown[] = [...Object.values(entry.data), entry.actor?.ip, entry.actor?.userAgent];
  return values.filter((v): v is SealedValue => typeof v === 'object' && v !== null && typeof (v as SealedValue).dataSubject === 'string').map((v) => v.dataSubject);
}

/** Decrypts a page of entries for a reader: one key lookup for the page, "[erased]" where shredded. */
export async function revealPage(deps: Pick<ComplianceDeps, 'db' | 'keys'>, entries: readonly PageEntry[]): Promise<AuditItem[]> {
  const keys = await deps.keys.keysFor(deps.db, entries.flatMap((e) => sealedSubjects(e.entry)), false);
  const unseal = unsealerFor(keys);
  return entries.map(({ entry, leafHash, archived }) => ({ ...revealEntry(entry, unseal), leafHash: leafHash.toString('hex'), ...(archived ? { archived: true as const } : {}) }));
}

export async function queryAudit(
  deps: Pick<ComplianceDeps, 'db' | 'keys'>,
  filter: AuditFilter,
  page: { limit: number; cursor?: string },
): Promise<{ items: AuditItem[]; nextCursor: string | null }> {
  const after = page.cursor ? decodeCursor(page.cursor) : 0;
  const rows = await filteredEntries(deps.db, filter, after).limit(page.limit + 1).execute();
  const items = await revealPage(deps, rows.slice(0, page.limit).map((row) => ({ entry: entryFromRow(row), leafHash: row.leaf_hash, archived: row.archived_at !== null })));
  return { items, nextCursor: rows.length > page.limit ? encodeCursor(items.at(-1)!.seq) : null };
}
