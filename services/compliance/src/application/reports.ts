import { createEvent, uuidv7 } from '@elcorp/contracts';
import { sql } from '@elcorp/db';
import { ComplianceError } from '../domain/errors.js';
import { renderReport, type ReportFormat, type ReportTable, type ReportType } from './report-content.js';
import { auditEntries } from './export-audit.js';
import type { ComplianceDeps } from './ports.js';

export interface ReportStatus {
  id: string;
  type: ReportType;
  format: ReportFormat;
  from: Date;
  to: Date;
  status: 'queued' | 'running' | 'completed' | 'failed';
  progress: number;
  createdAt: Date;
  completedAt: Date | null;
  error: string | null;
}

/** A running report not finished after this is taken to be orphaned and generated again. */
const reportStaleAfterMs = 10 * 60_000;

/** A report holds at most this many rows; beyond, it says it was cut. */
export const reportRowsMax = 50_000;

const reportEventTypes: Record<Exclude<ReportType, 'sla' | 'audit-summary'>, string[]> = {
  transactions: [
    'payments.deposit.posted',
    'payments.transfer.posted',
    'payments.transfer.pending_approval',
    'payments.transfer.approved',
    'payments.transfer.rejected',
    'payments.invoice.paid',
  ],
  access: [
    'identity.user.login_succeeded',
    'identity.user.login_failed',
    'identity.user.locked',
    'identity.user.unlocked',
    'identity.session.created',
    'identity.session.revoked',
    'governance.role.assigned',
    'governance.role.revoked',
  ],
};

export async function requestReport(deps: ComplianceDeps, by: string, input: { type: ReportType; format: ReportFormat; from: Date; to: Date }): Promise<ReportStatus> {
  if (input.from >= input.to) throw new ComplianceError('compliance.invalid_range', 'from must be before to');
  const row = await deps.db
    .insertInto('reports')
    .values({ id: uuidv7(), type: input.type, format: input.format, range_from: input.from, range_to: input.to, status: 'queued', requested_by: by, created_at: deps.now() })
    .returningAll()
    .executeTakeFirstOrThrow();
  return statusOf(row);
}

function statusOf(row: { id: string; type: string; format: string; range_from: Date; range_to: Date; status: string; progress: number; created_at: Date; completed_at: Date | null; error: string | null }): ReportStatus {
  return {
    id: row.id,
    type: row.type as ReportType,
    format: row.format as ReportFormat,
    from: row.range_from,
    to: row.range_to,
    status: row.status as ReportStatus['status'],
    progress: row.progress,
    createdAt: row.created_at,
    completedAt: row.completed_at,
    error: row.error,
  };
}

const statusColumns = ['id', 'type', 'format', 'range_from', 'range_to', 'status', 'progress', 'created_at', 'completed_at', 'error'] as const;

export async function reportStatus(deps: Pick<ComplianceDeps, 'db'>, id: string): Promise<ReportStatus> {
  const row = await deps.db.selectFrom('reports').select(statusColumns).where('id', '=', id).executeTakeFirst();
  if (!row) throw new ComplianceError('compliance.report_not_found', `no report ${id}`);
  return statusOf(row);
}

export async function listReports(deps: Pick<ComplianceDeps, 'db'>, query: { limit: number; cursor?: string | undefined }): Promise<{ items: ReportStatus[]; nextCursor: string | null }> {
  let select = deps.db.selectFrom('reports').select(statusColumns);
  if (query.cursor) {
    const id = Buffer.from(query.cursor, 'base64url').toString('utf8');
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new ComplianceError('compliance.invalid_cursor', 'the cursor is not one this service gave');
    select = select.where('id', '<', id);
  }
  // uuidv7 ids sort by creation time: newest first.
  const rows = await select.orderBy('id', 'desc').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  return { items: page.map(statusOf), nextCursor: rows.length > query.limit ? Buffer.from(page.at(-1)!.id).toString('base64url') : null };
}

export async function reportContent(deps: Pick<ComplianceDeps, 'db'>, id: string): Promise<{ format: ReportFormat; type: ReportType; content: Buffer }> {
  const row = await deps.db.selectFrom('reports').select(['status', 'format', 'type', 'content']).where('id', '=', id).executeTakeFirst();
  if (!row) throw new ComplianceError('compliance.report_not_found', `no report ${id}`);
  if (row.status !== 'completed' || !row.content) throw new ComplianceError('compliance.report_not_ready', `report ${id} is ${row.status}`);
  return { format: row.format as ReportFormat, type: row.type as ReportType, content: row.content };
}

/**
 * Generates the oldest queued report, if any; replicas claim with SKIP LOCKED, so each
 * report is built once. Progress is written as the rows are read. Returns whether one ran.
 */
export async function generateNextReport(deps: ComplianceDeps): Promise<boolean> {
  const claimed = await deps.db.transaction().execute(async (trx) => {
    // A report left running by a replica that died is taken over once it is stale.
    const staleBefore = new Date(deps.now().getTime() - reportStaleAfterMs);
    const next = await trx
      .selectFrom('reports')
      .select(['id'])
      .where((eb) => eb.or([eb('status', '=', 'queued'), eb.and([eb('status', '=', 'running'), eb('started_at', '<', staleBefore)])]))
      .orderBy('created_at')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!next) return undefined;
    return trx.updateTable('reports').set({ status: 'running', started_at: deps.now(), progress: 0 }).where('id', '=', next.id).returningAll().executeTakeFirstOrThrow();
  });
  if (!claimed) return false;
  try {
    const progress = (percent: number) => deps.db.updateTable('reports').set({ progress: Math.min(99, Math.floor(percent)) }).where('id', '=', claimed.id).execute().then(() => undefined);
    const table = await buildTable(deps, claimed.type as ReportType, claimed.range_from, claimed.range_to, progress);
    const content = await renderReport(table, claimed.format as ReportFormat);
    await deps.uow(async ({ trx, record }) => {
      await trx.updateTable('reports').set({ status: 'completed', progress: 100, content, completed_at: deps.now() }).where('id', '=', claimed.id).execute();
      record(createEvent('compliance.report.generated', { subject: { type: 'report', id: claimed.id }, actor: { userId: claimed.requested_by }, data: { reportId: claimed.id, type: claimed.type as ReportType } }));
    });
  } catch (err) {
    await deps.db.updateTable('reports').set({ status: 'failed', error: 'generation failed', completed_at: deps.now() }).where('id', '=', claimed.id).execute();
    throw err;
  }
  return true;
}

async function buildTable(deps: ComplianceDeps, type: ReportType, from: Date, to: Date, progress: (percent: number) => Promise<void>): Promise<ReportTable> {
  const base = { type, from, to, generatedAt: deps.now() };
  if (type === 'sla') {
    const rows = await deps.db.selectFrom('sla_breaches').selectAll().where('breached_at', '>=', from).where('breached_at', '<', to).orderBy('breached_at').limit(reportRowsMax).execute();
    return { ...base, columns: ['requestId', 'slaDeadline', 'overdueBy', 'breachedAt'], rows: rows.map((r) => [r.request_id, r.sla_deadline.toISOString(), Number(r.overdue_by), r.breached_at.toISOString()]), truncated: rows.length === reportRowsMax };
  }
  if (type === 'audit-summary') {
    const { rows } = await sql<{ type: string; count: string }>`SELECT type, count(*)::text AS count FROM audit_entries WHERE occurred_at >= ${from} AND occurred_at < ${to} GROUP BY type ORDER BY type`.execute(deps.db);
    const checkpoint = await deps.db.selectFrom('checkpoints').select(['tree_size', 'root_hash']).orderBy('id', 'desc').limit(1).executeTakeFirst();
    const footer = checkpoint ? `Latest checkpoint: tree size ${checkpoint.tree_size}, root ${checkpoint.root_hash.toString('hex')}` : 'No checkpoint yet';
    return { ...base, columns: ['type', 'count'], rows: rows.map((r) => [r.type, Number(r.count)]), truncated: false, footer };
  }
  const types = reportEventTypes[type];
  const { rows: counted } = await sql<{ n: string }>`SELECT count(*)::text AS n FROM audit_entries WHERE type = ANY(${types}) AND occurred_at >= ${from} AND occurred_at < ${to}`.execute(deps.db);
  const total = Math.min(Number(counted[0]?.n ?? 0), reportRowsMax);
  const rows: Array<Array<string | number>> = [];
  for (const t of types) {
    for await (const item of auditEntries(deps, { type: t, from, to })) {
      if (rows.length >= reportRowsMax) break;
      rows.push(type === 'transactions' ? transactionRow(item.seq, item.occurredAt, item.type, item.data) : [item.seq, item.occurredAt, item.type, item.actor?.userId ?? '', item.actor?.ip ?? '', `${item.subject.type}:${item.subject.id}`]);
      if (rows.length % 500 === 0 && total > 0) await progress((rows.length / total) * 100);
    }
  }
  rows.sort((a, b) => Number(a[0]) - Number(b[0]));
  const columns = type === 'transactions' ? ['seq', 'occurredAt', 'type', 'transferId', 'amount', 'currency'] : ['seq', 'occurredAt', 'type', 'actorId', 'ip', 'subject'];
  return { ...base, columns, rows, truncated: rows.length >= reportRowsMax };
}

function transactionRow(seq: number, occurredAt: string, type: string, data: Record<string, unknown>): Array<string | number> {
  return [seq, occurredAt, type, String(data['transferId'] ?? data['invoiceId'] ?? ''), String(data['amount'] ?? ''), String(data['currency'] ?? '')];
}
