import { sql, type Kysely } from '@elcorp/db';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ComplianceDB } from './db/schema.js';

/**
 * What the audit log adds to the messaging metrics (processed, lag and dead letters per
 * audit durable): how many entries the log took, in what batches, how long an append holds
 * its transaction, and whether checkpoints keep up with it. The sizes and the checkpoint's
 * age are read from the database at scrape time, so every replica reports the log's truth.
 */
export class AuditMetrics {
  readonly appended: Counter;
  readonly batchSize: Histogram;
  readonly appendSeconds: Histogram;

  constructor(registry: Registry, db: Kysely<ComplianceDB>) {
    const registers = [registry];
    this.appended = new Counter({ name: 'elcorp_audit_appended_total', help: 'Events appended to the audit log (duplicates not counted)', registers });
    this.batchSize = new Histogram({ name: 'elcorp_audit_append_batch_size', help: 'Events per audit append transaction', buckets: [1, 4, 16, 64, 128, 256], registers });
    this.appendSeconds = new Histogram({ name: 'elcorp_audit_append_duration_seconds', help: 'Time of one audit append transaction, tree update included', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers });
    let reading: Promise<{ logSize: number; checkpointSize: number; checkpointAgeSeconds: number }> | undefined;
    // One query per scrape for the three gauges (collect runs once per gauge).
    const read = () =>
      (reading ??= sql<{ log_size: string; tree_size: string | null; age_seconds: number | null }>`
        SELECT (SELECT size FROM log_head) AS log_size, c.tree_size, EXTRACT(EPOCH FROM clock_timestamp() - c.issued_at)::float8 AS age_seconds
          FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT tree_size, issued_at FROM checkpoints ORDER BY id DESC LIMIT 1) AS c ON true`
        .execute(db)
        .then(({ rows: [row] }) => ({ logSize: Number(row?.log_size ?? 0), checkpointSize: Number(row?.tree_size ?? 0), checkpointAgeSeconds: row?.age_seconds ?? -1 }))
        .finally(() => setImmediate(() => (reading = undefined))));
    const gauge = (name: string, help: string, pick: (r: Awaited<ReturnType<typeof read>>) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set(await read().then(pick, () => -1));
        },
      });
    gauge('elcorp_audit_log_entries', 'Entries in the audit log (its tree size)', (r) => r.logSize);
    gauge('elcorp_audit_checkpoint_tree_size', 'Tree size of the latest signed checkpoint', (r) => r.checkpointSize);
    gauge('elcorp_audit_checkpoint_age_seconds', 'Time since the latest checkpoint was signed (-1: none yet); alert when it grows while the log does', (r) => r.checkpointAgeSeconds);
  }
}
