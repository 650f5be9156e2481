import { sql, type Transaction } from '@elcorp/db';
import { canonicalJson } from '../domain/canonical-json.js';
import { leafHash } from '../domain/merkle.js';
import { retentionCutoff, rulesByPrecedence, type RetentionPolicy } from '../domain/retention.js';
import type { ComplianceDB } from '../infrastructure/db/schema.js';
import { entryColumns, entryFromRow } from '../infrastructure/entries.js';
import type { ComplianceDeps } from './ports.js';

/** Entries archived per transaction: bounded so the job never holds a long transaction. */
export const archivalBatchMax = 5_000;
/** Batches per run; a backlog larger than this continues at the next run. */
const batchesPerRunMax = 100;

export interface ArchivalRun {
  /** false: another replica held the archival lock, this run did nothing. */
  ran: boolean;
  archived: number;
  /** Expired entries left live: their row, or an archive row already there, no longer matches the leaf hash. */
  unmatched: number[];
}

/**
 * Moves the data of entries past their type's retention to the archive, oldest first, one
 * bounded batch per transaction. One replica at a time (transaction-scoped advisory lock; the
 * others skip). Each entry's archive holds the exact bytes its leaf hash covers, checked here
 * and again by the database's guard before the live row loses its data; the tree is never
 * touched, so every proof and checkpoint stays valid.
 */
export async function archiveExpiredEntries(
  deps: Pick<ComplianceDeps, 'db' | 'now'>,
  policy: RetentionPolicy,
  options: { batchSize?: number } = {},
): Promise<ArchivalRun> {
  const batchSize = Math.min(options.batchSize ?? archivalBatchMax, archivalBatchMax);
  const run: ArchivalRun = { ran: false, archived: 0, unmatched: [] };
  for (let batch = 0; batch < batchesPerRunMax; batch++) {
    const result = await deps.db.transaction().execute((trx) => archiveBatch(trx, deps.now(), policy, batchSize));
    if (result === null) return run;
    run.ran = true;
    run.archived += result.archived;
    run.unmatched.push(...result.unmatched);
    if (result.expired < batchSize) break;
  }
  return run;
}

async function archiveBatch(
  trx: Transaction<ComplianceDB>,
  now: Date,
  policy: RetentionPolicy,
  batchSize: number,
): Promise<{ expired: number; archived: number; unmatched: number[] } | null> {
  const { rows: lock } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(hashtextextended('compliance.archival.' || current_schema(), 0)) AS locked`.execute(trx);
  if (!lock[0]?.locked) return null;
  const rows = await trx
    .selectFrom('audit_entries')
    .select(entryColumns)
    .where('archived_at', 'is', null)
    // The shortest retention bounds the scan (an index range); the CASE decides per type.
    .where('occurred_at', '<', retentionCutoff(now, Math.min(policy.defaultDays, ...policy.rules.map((r) => r.days))))
    .where('occurred_at', '<', expiryOf(now, policy))
    .orderBy('occurred_at')
    .orderBy('seq')
    .limit(batchSize)
    .execute();
  const inputs: Array<{ seq: number; input: Buffer }> = [];
  const unmatched: number[] = [];
  for (const row of rows) {
    const input = Buffer.from(canonicalJson(entryFromRow(row)), 'utf8');
    // A row that no longer hashes to its leaf is evidence; archiving it would launder it.
    if (leafHash(input).equals(row.leaf_hash)) inputs.push({ seq: Number(row.seq), input });
    else unmatched.push(Number(row.seq));
  }
  if (inputs.length === 0) return { expired: rows.length, archived: 0, unmatched };
  await sql`
    INSERT INTO archived_entries (seq, leaf_input, archived_at)
    SELECT seq, leaf_input, ${now} FROM unnest(${inputs.map((i) => String(i.seq))}::bigint[], ${inputs.map((i) => i.input)}::bytea[]) AS a(seq, leaf_input)
    ON CONFLICT (seq) DO NOTHING`.execute(trx);
  const seqs = inputs.map((i) => String(i.seq));
  const { rows: stripped } = await sql<{ n: number }>`SELECT archive_audit_entries(${seqs}::bigint[]) AS n`.execute(trx);
  const archived = stripped[0]!.n;
  if (archived < inputs.length) {
    // An archive row that was there before and does not hash to the leaf: someone wrote it.
    const left = await trx.selectFrom('audit_entries').select('seq').where('seq', 'in', seqs.map(BigInt)).where('archived_at', 'is', null).execute();
    unmatched.push(...left.map((r) => Number(r.seq)));
  }
  return { expired: rows.length, archived, unmatched };
}

/**
 * The instant before which an entry of its type is past retention, as SQL: the policy's
 * rules in precedence order (exact type, then the longest family), then the default.
 */
function expiryOf(now: Date, policy: RetentionPolicy) {
  const whens = rulesByPrecedence(policy.rules).map((rule) => {
    const cutoff = retentionCutoff(now, rule.days);
    return rule.pattern.endsWith('.*')
      ? sql`WHEN starts_with(type, ${rule.pattern.slice(0, -1)}) THEN ${cutoff}::timestamptz`
      : sql`WHEN type = ${rule.pattern} THEN ${cutoff}::timestamptz`;
  });
  const fallback = retentionCutoff(now, policy.defaultDays);
  return whens.length === 0 ? sql<Date>`${fallback}::timestamptz` : sql<Date>`(CASE ${sql.join(whens, sql` `)} ELSE ${fallback}::timestamptz END)`;
}
