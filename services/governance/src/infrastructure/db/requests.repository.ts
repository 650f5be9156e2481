import type { Kysely, Selectable, Transaction } from '@elcorp/db';
import type { HistoryEntry, Priority, RequestStatus, ServiceRequest } from '../../domain/request.js';
import type { GovernanceDB, RequestsTable } from './schema.js';

type Db = Kysely<GovernanceDB> | Transaction<GovernanceDB>;

export interface StoredHistory extends HistoryEntry {
  seq: number;
}

export interface RequestDetails {
  request: ServiceRequest;
  createdAt: Date;
  updatedAt: Date;
  history: (Omit<HistoryEntry, 'step' | 'by' | 'from'> & { step: string; by: string | null; from: RequestStatus | null })[];
  comments: { id: string; authorId: string; body: string; at: Date }[];
}

export function toRequest(row: Selectable<RequestsTable>, approvals: ServiceRequest['approvals']): ServiceRequest {
  return {
    id: row.id,
    requesterId: row.requester_id,
    assigneeId: row.assignee_id,
    category: row.category,
    title: row.title,
    description: row.description,
    priority: row.priority as Priority,
    status: row.status as RequestStatus,
    submittedAt: row.submitted_at,
    respondBy: row.respond_by,
    escalateAt: row.escalate_at,
    slaDeadline: row.sla_deadline,
    escalatedAt: row.escalated_at,
    breachedAt: row.breached_at,
    approvals,
  };
}

async function approvalsOf(db: Db, requestId: string): Promise<ServiceRequest['approvals']> {
  const rows = await db.selectFrom('request_approvals').selectAll().where('request_id', '=', requestId).orderBy('position').execute();
  return rows.map((a) => ({ approverId: a.approver_id, asAdmin: a.as_admin, comment: a.comment, at: a.at }));
}

/** A request for a transition, its row locked so concurrent steps on it run one after another. */
export async function lockRequest(trx: Transaction<GovernanceDB>, id: string): Promise<ServiceRequest | undefined> {
  const row = await trx.selectFrom('requests').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  return row ? toRequest(row, await approvalsOf(trx, id)) : undefined;
}

export async function requestDetails(db: Db, id: string): Promise<RequestDetails | undefined> {
  const row = await db.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const [approvals, history, comments] = await Promise.all([
    approvalsOf(db, id),
    db.selectFrom('request_history').selectAll().where('request_id', '=', id).orderBy('seq').execute(),
    db.selectFrom('request_comments').selectAll().where('request_id', '=', id).orderBy('at').orderBy('id').execute(),
  ]);
  return {
    request: toRequest(row, approvals),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    history: history.map((h) => ({ step: h.step, by: h.by_user_id, from: h.from_status as RequestStatus | null, to: h.to_status as RequestStatus, note: h.note, at: h.at })),
    comments: comments.map((c) => ({ id: c.id, authorId: c.author_id, body: c.body, at: c.at })),
  };
}

export async function insertRequest(trx: Transaction<GovernanceDB>, request: ServiceRequest, now: Date): Promise<void> {
  await trx
    .insertInto('requests')
    .values({
      id: request.id,
      requester_id: request.requesterId,
      assignee_id: null,
      category: request.category,
      title: request.title,
      description: request.description,
      priority: request.priority,
      status: request.status,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await trx.insertInto('request_history').values({ request_id: request.id, seq: 1, step: 'created', by_user_id: request.requesterId, from_status: null, to_status: 'draft', note: null, at: now }).execute();
}

/** Writes a transition: the new state, its history entry, a new approval if there is one. */
export async function saveTransition(trx: Transaction<GovernanceDB>, before: ServiceRequest, after: ServiceRequest, entry: HistoryEntry): Promise<void> {
  await trx
    .updateTable('requests')
    .set({
      assignee_id: after.assigneeId,
      status: after.status,
      submitted_at: after.submittedAt,
      respond_by: after.respondBy,
      escalate_at: after.escalateAt,
      sla_deadline: after.slaDeadline,
      updated_at: entry.at,
    })
    .where('id', '=', after.id)
    .execute();
  const last = await trx.selectFrom('request_history').select((eb) => eb.fn.max('seq').as('seq')).where('request_id', '=', after.id).executeTakeFirst();
  await trx
    .insertInto('request_history')
    .values({ request_id: after.id, seq: (last?.seq ?? 0) + 1, step: entry.step, by_user_id: entry.by, from_status: entry.from, to_status: entry.to, note: entry.note, at: entry.at })
    .execute();
  if (after.approvals.length > before.approvals.length) {
    const approval = after.approvals[after.approvals.length - 1]!;
    await trx
      .insertInto('request_approvals')
      .values({ request_id: after.id, approver_id: approval.approverId, position: after.approvals.length, as_admin: approval.asAdmin, comment: approval.comment, at: approval.at })
      .execute();
  }
}

export async function insertComment(trx: Transaction<GovernanceDB>, comment: { id: string; requestId: string; authorId: string; body: string; at: Date }): Promise<void> {
  await trx.insertInto('request_comments').values({ id: comment.id, request_id: comment.requestId, author_id: comment.authorId, body: comment.body, at: comment.at }).execute();
}

export interface RequestFilter {
  status?: RequestStatus;
  /** Only requests the caller made. */
  mine: boolean;
  callerId: string;
  /** request:approve holders see every request; others only their own and those assigned to them. */
  seesAll: boolean;
  limit: number;
  /** The last id of the previous page (ids are UUID v7: newest first by id). */
  cursor?: string;
}

export async function listRequests(db: Db, filter: RequestFilter): Promise<Selectable<RequestsTable>[]> {
  let query = db.selectFrom('requests').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.mine) query = query.where('requester_id', '=', filter.callerId);
  else if (!filter.seesAll) query = query.where((eb) => eb.or([eb('requester_id', '=', filter.callerId), eb('assignee_id', '=', filter.callerId)]));
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  return query.execute();
}
