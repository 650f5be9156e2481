import { createEvent, type DomainEvent } from '@elcorp/contracts';
import { sql } from '@elcorp/db';
import type { UnitOfWork } from '@elcorp/messaging';
import { dataSubjectsOf, entryLeafHash, toStoredEntry, type StoredEntry } from '../domain/audit-entry.js';
import { appendNodes, frontier } from '../domain/merkle.js';
import type { ComplianceDB } from '../infrastructure/db/schema.js';
import { sealerFor } from '../infrastructure/subject-keys.js';
import { readNodes, writeNodes } from '../infrastructure/tree-store.js';
import type { ComplianceDeps } from './ports.js';

/** Events appended by one call; a consumer batch is smaller. */
export const appendBatchMax = 5_000;

export interface AppendResult {
  appended: number;
  treeSize: number;
  /** Ids of the events this call logged; the others were already in the log. */
  appendedIds: ReadonlySet<string>;
}

/**
 * Appends a batch of events to the audit log exactly once, in one tree update: the head row
 * lock serialises appenders, events already in the log (a redelivery) are skipped by id,
 * PII is sealed per data subject, and only the old tree's frontier is read to complete the
 * new nodes. Erasures and SLA breaches in the batch take effect in the same transaction.
 */
export async function appendEvents(
  deps: Pick<ComplianceDeps, 'keys' | 'now'>,
  uow: UnitOfWork<ComplianceDB>,
  events: readonly DomainEvent[],
): Promise<AppendResult> {
  if (events.length > appendBatchMax) throw new RangeError(`at most ${appendBatchMax} events per append`);
  const { trx } = uow;
  const batch = [...new Map(events.map((e) => [e.id, e])).values()];
  if (batch.length === 0) return { appended: 0, treeSize: Number((await trx.selectFrom('log_head').select('size').executeTakeFirstOrThrow()).size), appendedIds: new Set() };
  // Sealing needs no place in the log, so it runs before the head lock and concurrent
  // appenders overlap it with each other's locked part. A batch that shreds keys locks first:
  // it must not wait on a key row of an appender that is itself waiting for the lock.
  const erasing = batch.some((e) => e.type === 'identity.user.erased');
  let size = erasing ? await lockHead(uow) : -1;
  const keys = await deps.keys.keysFor(trx, batch.flatMap(dataSubjectsOf), true);
  const seal = sealerFor(keys);
  const recordedAt = deps.now();
  const sealed = new Map(batch.map((event) => [event.id, toStoredEntry(event, 0, recordedAt, seal)]));
  if (size < 0) size = await lockHead(uow);
  const fresh = await unseen(uow, batch);
  if (fresh.length === 0) return { appended: 0, treeSize: size, appendedIds: new Set() };

  const entries = fresh.map((event, i) => ({ ...sealed.get(event.id)!, seq: size + 1 + i }));
  const leaves = entries.map(entryLeafHash);
  await insertEntries(uow, entries, leaves);
  const reader = await readNodes(trx, frontier(size));
  await writeNodes(trx, appendNodes(size, leaves, reader));
  const treeSize = size + entries.length;
  await trx.updateTable('log_head').set({ size: BigInt(treeSize) }).execute();
  await applyEffects(deps, uow, fresh);
  return { appended: entries.length, treeSize, appendedIds: new Set(fresh.map((e) => e.id)) };
}

/** Takes the head row lock (appenders queue here) and returns the log's size. */
async function lockHead(uow: UnitOfWork<ComplianceDB>): Promise<number> {
  return Number((await uow.trx.selectFrom('log_head').select('size').forUpdate().executeTakeFirstOrThrow()).size);
}

/** The batch without events already logged. */
async function unseen(uow: UnitOfWork<ComplianceDB>, batch: readonly DomainEvent[]): Promise<DomainEvent[]> {
  const logged = new Set((await uow.trx.selectFrom('audit_entries').select('event_id').where('event_id', 'in', batch.map((e) => e.id)).execute()).map((r) => r.event_id));
  return batch.filter((e) => !logged.has(e.id));
}

/** One INSERT of column arrays: twelve parameters whatever the batch size. */
async function insertEntries(uow: UnitOfWork<ComplianceDB>, entries: readonly StoredEntry[], leaves: readonly Buffer[]): Promise<void> {
  const column = <T>(pick: (e: StoredEntry, i: number) => T) => entries.map(pick);
  await sql`
    INSERT INTO audit_entries (seq, event_id, type, version, source, occurred_at, recorded_at, subject_type, subject_id, actor, data, leaf_hash)
    SELECT * FROM unnest(
      ${column((e) => String(e.seq))}::bigint[], ${column((e) => e.eventId)}::uuid[], ${column((e) => e.type)}::text[],
      ${column((e) => e.version)}::integer[], ${column((e) => e.source)}::text[], ${column((e) => e.occurredAt)}::timestamptz[],
      ${column((e) => e.recordedAt)}::timestamptz[], ${column((e) => e.subject.type)}::text[], ${column((e) => e.subject.id)}::text[],
      ${column((e) => (e.actor === null ? null : JSON.stringify(e.actor)))}::jsonb[], ${column((e) => JSON.stringify(e.data))}::jsonb[],
      ${column((_, i) => leaves[i]!)}::bytea[])`.execute(uow.trx);
}

async function applyEffects(deps: Pick<ComplianceDeps, 'keys' | 'now'>, uow: UnitOfWork<ComplianceDB>, events: readonly DomainEvent[]): Promise<void> {
  for (const event of events) {
    if (event.type === 'identity.user.erased') {
      const { userId } = (event as DomainEvent<'identity.user.erased'>).data;
      await deps.keys.shred(uow.trx, userId, deps.now());
      uow.record(createEvent('compliance.subject.erased', { subject: { type: 'user', id: userId }, actor: null, data: { userId } }));
    } else if (event.type === 'governance.request.sla_breached') {
      const { requestId, slaDeadline, overdueBy } = (event as DomainEvent<'governance.request.sla_breached'>).data;
      await uow.trx
        .insertInto('sla_breaches')
        .values({ event_id: event.id, request_id: requestId, sla_deadline: new Date(slaDeadline), overdue_by: BigInt(overdueBy), breached_at: new Date(event.occurredAt) })
        .onConflict((oc) => oc.column('event_id').doNothing())
        .execute();
    }
  }
}
