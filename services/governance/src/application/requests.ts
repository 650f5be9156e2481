import { createEvent, uuidv7 } from '@elcorp/contracts';
import type { Transaction } from '@elcorp/db';
import { governanceErrors } from '../domain/errors.js';
import { canSee, transition, type Priority, type RequestActor, type RequestCommand, type RequestStatus, type RequestStep, type ServiceRequest } from '../domain/request.js';
import { adminRole } from '../domain/roles.js';
import type { Category } from '../domain/sla.js';
import { insertComment, insertRequest, listRequests as listRequestRows, lockRequest, requestDetails, saveTransition, toRequest, type RequestDetails } from '../infrastructure/db/requests.repository.js';
import type { GovernanceDB } from '../infrastructure/db/schema.js';
import { slaPolicyFor } from '../infrastructure/db/sla.repository.js';
import { actorOf, pageOf, type Page, type PageQuery } from './common.js';
import type { Caller, GovernanceDeps } from './ports.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export interface RequestSummary {
  id: string;
  requesterId: string;
  assigneeId: string | null;
  category: string;
  title: string;
  description: string;
  priority: Priority;
  status: RequestStatus;
  submittedAt: string | null;
  slaDeadline: string | null;
  escalatedAt: string | null;
  breachedAt: string | null;
}

export interface RequestView extends RequestSummary {
  createdAt: string;
  updatedAt: string;
  approvals: { approverId: string; asAdmin: boolean; comment: string | null; at: string }[];
  history: { step: string; by: string | null; from: RequestStatus | null; to: RequestStatus; note: string | null; at: string }[];
  comments: { id: string; authorId: string; body: string; at: string }[];
}

function summary(r: ServiceRequest): RequestSummary {
  return {
    id: r.id,
    requesterId: r.requesterId,
    assigneeId: r.assigneeId,
    category: r.category,
    title: r.title,
    description: r.description,
    priority: r.priority,
    status: r.status,
    submittedAt: iso(r.submittedAt),
    slaDeadline: iso(r.slaDeadline),
    escalatedAt: iso(r.escalatedAt),
    breachedAt: iso(r.breachedAt),
  };
}

function detailView(d: RequestDetails): RequestView {
  return {
    ...summary(d.request),
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    approvals: d.request.approvals.map((a) => ({ ...a, at: a.at.toISOString() })),
    history: d.history.map((h) => ({ ...h, at: h.at.toISOString() })),
    comments: d.comments.map((c) => ({ ...c, at: c.at.toISOString() })),
  };
}

async function actorFor(deps: GovernanceDeps, caller: Caller, request: Pick<ServiceRequest, 'id' | 'requesterId'>): Promise<RequestActor> {
  const canApprove = await deps.can(caller, 'request:approve', { type: 'Request', id: request.id, owner: request.requesterId });
  return { userId: caller.userId, canApprove, isAdmin: caller.roles.includes(adminRole) };
}

function requestEvent(step: 'created' | RequestStep, r: ServiceRequest, caller: Caller, at: Date) {
  return createEvent(`governance.request.${step}`, {
    subject: { type: 'request', id: r.id },
    actor: actorOf(caller),
    occurredAt: at,
    data: {
      requestId: r.id,
      requesterId: r.requesterId,
      category: r.category,
      priority: r.priority,
      status: r.status,
      by: caller.userId,
      ...(r.slaDeadline ? { slaDeadline: r.slaDeadline.toISOString() } : {}),
    },
  });
}

export interface NewRequest {
  category: Category;
  title: string;
  description: string;
  priority: Priority;
}

export async function createRequest(deps: GovernanceDeps, caller: Caller, input: NewRequest): Promise<RequestView> {
  const now = deps.now();
  const request: ServiceRequest = {
    id: uuidv7(),
    requesterId: caller.userId,
    assigneeId: null,
    ...input,
    status: 'draft',
    submittedAt: null,
    respondBy: null,
    escalateAt: null,
    slaDeadline: null,
    escalatedAt: null,
    breachedAt: null,
    approvals: [],
  };
  return deps.uow(async (uow) => {
    await insertRequest(uow.trx, request, now);
    uow.record(requestEvent('created', request, caller, now));
    return detailView((await requestDetails(uow.trx, request.id))!);
  });
}

/** The request if the caller may see it; 404 otherwise, so its existence is not disclosed. */
export async function getRequest(deps: GovernanceDeps, caller: Caller, id: string): Promise<RequestView> {
  const details = await requestDetails(deps.db, id);
  if (!details || !canSee(details.request, await actorFor(deps, caller, details.request))) throw governanceErrors.requestNotFound();
  return detailView(details);
}

export async function listRequests(deps: GovernanceDeps, caller: Caller, query: PageQuery & { status?: RequestStatus; mine: boolean }): Promise<Page<RequestSummary>> {
  // Seeing every request is request:approve on requests in general, not on one of them.
  const seesAll = await deps.can(caller, 'request:approve', { type: 'Request', id: '*' });
  const rows = await listRequestRows(deps.db, {
    mine: query.mine,
    callerId: caller.userId,
    seesAll,
    limit: query.limit + 1,
    ...(query.status ? { status: query.status } : {}),
    ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
  });
  return pageOf(rows, query.limit, (r) => r.id, (r) => summary(toRequest(r, [])));
}

/** One step of API.md's `POST /requests/{id}/{step}`, with its history entry and event. */
export async function actOnRequest(deps: GovernanceDeps, caller: Caller, id: string, command: StepCommand): Promise<RequestView> {
  const now = deps.now();
  return deps.uow(async (uow) => {
    const request = await lockRequest(uow.trx, id);
    if (!request) throw governanceErrors.requestNotFound();
    const actor = await actorFor(deps, caller, request);
    if (!canSee(request, actor)) throw governanceErrors.requestNotFound();
    const full = await withSla(uow.trx, request, command);
    const result = transition(request, actor, full, now);
    if (!result.ok) throw result.error;
    await saveTransition(uow.trx, request, result.request, result.history);
    const comment = command.action === 'approve' || command.action === 'complete' ? command.comment : undefined;
    if (comment) await insertComment(uow.trx, { id: uuidv7(), requestId: id, authorId: caller.userId, body: comment, at: now });
    uow.record(requestEvent(result.history.step, result.request, caller, now));
    return detailView((await requestDetails(uow.trx, id))!);
  });
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A step as a caller asks for it; the SLA policy a submission needs is looked up here. */
export type StepCommand = DistributiveOmit<RequestCommand, 'sla'>;

async function withSla(trx: Transaction<GovernanceDB>, request: ServiceRequest, command: StepCommand): Promise<RequestCommand> {
  if (command.action !== 'submit') return command as RequestCommand;
  const sla = await slaPolicyFor(trx, request.category, request.priority);
  // Every category × priority is seeded and PUT only replaces rows, so a policy always exists.
  if (!sla) throw new Error(`no SLA policy for ${request.category}/${request.priority}`);
  return { action: 'submit', sla };
}
