import { createEvent, uuidv7, type EventType } from '@elcorp/contracts';
import { ComplianceError } from '../domain/errors.js';
import { checkTransition, type IncidentStatus, type Severity } from '../domain/incident.js';
import type { IncidentsTable } from '../infrastructure/db/schema.js';
import type { ComplianceDeps } from './ports.js';

export interface Incident {
  id: string;
  title: string;
  description: string;
  severity: Severity;
  status: IncidentStatus;
  rootCause: string | null;
  remediation: string | null;
  openedBy: string;
  createdAt: Date;
  updatedAt: Date;
  resolvedAt: Date | null;
}

export interface IncidentChange {
  status: IncidentStatus;
  note: string | null;
  by: string;
  at: Date;
}

function toIncident(row: IncidentsTable): Incident {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    severity: row.severity as Severity,
    status: row.status as IncidentStatus,
    rootCause: row.root_cause,
    remediation: row.remediation,
    openedBy: row.opened_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    resolvedAt: row.resolved_at,
  };
}

function incidentEvent(type: Extract<EventType, `compliance.incident.${string}`>, incident: Incident, by: string) {
  return createEvent(type, {
    subject: { type: 'incident', id: incident.id },
    actor: { userId: by },
    data: { incidentId: incident.id, severity: incident.severity, status: incident.status },
  });
}

export async function openIncident(deps: ComplianceDeps, by: string, input: { title: string; description: string; severity: Severity }): Promise<Incident> {
  return deps.uow(async ({ trx, record }) => {
    const now = deps.now();
    const row = await trx
      .insertInto('incidents')
      .values({ id: uuidv7(), ...input, status: 'open', root_cause: null, remediation: null, opened_by: by, created_at: now, updated_at: now, resolved_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx.insertInto('incident_events').values({ incident_id: row.id, status: 'open', note: null, by_user: by, at: now }).execute();
    const incident = toIncident(row);
    record(incidentEvent('compliance.incident.opened', incident, by));
    return incident;
  });
}

/** A status change (with root cause and remediation on record before resolving). */
export async function updateIncident(
  deps: ComplianceDeps,
  by: string,
  id: string,
  change: { status: IncidentStatus; rootCause?: string | undefined; remediation?: string | undefined },
): Promise<Incident> {
  return deps.uow(async ({ trx, record }) => {
    const current = await trx.selectFrom('incidents').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!current) throw new ComplianceError('compliance.incident_not_found', `no incident ${id}`);
    const rootCause = change.rootCause ?? current.root_cause;
    const remediation = change.remediation ?? current.remediation;
    const refusal = checkTransition(current.status as IncidentStatus, change.status, { rootCause, remediation });
    if (refusal) throw new ComplianceError(refusal.code, refusal.message);
    const now = deps.now();
    const resolvedAt = change.status === 'resolved' ? now : change.status === 'closed' ? current.resolved_at : null;
    const row = await trx
      .updateTable('incidents')
      .set({ status: change.status, root_cause: rootCause, remediation, updated_at: now, resolved_at: resolvedAt })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const note = [change.rootCause && `root cause: ${change.rootCause}`, change.remediation && `remediation: ${change.remediation}`].filter(Boolean).join('; ') || null;
    await trx.insertInto('incident_events').values({ incident_id: id, status: change.status, note, by_user: by, at: now }).execute();
    const incident = toIncident(row);
    record(incidentEvent(change.status === 'resolved' ? 'compliance.incident.resolved' : 'compliance.incident.updated', incident, by));
    return incident;
  });
}

export async function getIncident(deps: Pick<ComplianceDeps, 'db'>, id: string): Promise<Incident & { history: IncidentChange[] }> {
  const row = await deps.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new ComplianceError('compliance.incident_not_found', `no incident ${id}`);
  const history = await deps.db.selectFrom('incident_events').select(['status', 'note', 'by_user', 'at']).where('incident_id', '=', id).orderBy('id').limit(1_000).execute();
  return { ...toIncident(row), history: history.map((h) => ({ status: h.status as IncidentStatus, note: h.note, by: h.by_user, at: h.at })) };
}

function encodeCursor(row: { created_at: Date; id: string }): string {
  return Buffer.from(`${row.created_at.toISOString()}|${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(createdAt.getTime())) throw new ComplianceError('compliance.invalid_cursor', 'the cursor is not one this service gave');
  return { createdAt, id };
}

/** Newest first. */
export async function listIncidents(
  deps: Pick<ComplianceDeps, 'db'>,
  query: { status?: IncidentStatus | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: Incident[]; nextCursor: string | null }> {
  let select = deps.db.selectFrom('incidents').selectAll();
  if (query.status) select = select.where('status', '=', query.status);
  if (query.cursor) {
    const after = decodeCursor(query.cursor);
    select = select.where((eb) => eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]));
  }
  const rows = await select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  return { items: page.map(toIncident), nextCursor: rows.length > query.limit ? encodeCursor(page.at(-1)!) : null };
}
