import { eventSubject, type BrokerNames, type DomainEvent } from '@elcorp/contracts';
import { sql, type Kysely, type RawBuilder, type Transaction } from '@elcorp/db';
import type { MessagingTables } from './tables.js';
import { currentTraceHeaders } from './tracing.js';

/**
 * Writes events into the outbox inside the caller's transaction, so they commit or vanish
 * with the state change they announce. Only the unit of work and whoever opened the
 * transaction of an `openUnitOfWork` (the consumer, for its batch) call this; it takes a
 * Transaction, never a plain connection, and the package does not export it, so use cases
 * record events on their UnitOfWork instead. The active trace context is stored with each
 * row so the publish (and every consumer) joins the trace of the request that caused it.
 * Whoever commits the transaction then calls signalOutboxCommit, so the relay drains at once.
 */
export async function writeOutbox<DB>(
  trx: Transaction<DB>,
  names: BrokerNames,
  events: ReadonlyArray<DomainEvent>,
): Promise<void> {
  if (events.length === 0) return;
  const db = trx as unknown as Kysely<MessagingTables>;
  const headers = currentTraceHeaders();
  await db
    .insertInto('outbox')
    .values(
      events.map((event) => ({
        id: event.id,
        type: event.type,
        subject: eventSubject(names, event.type),
        payload: JSON.stringify(event),
        headers: JSON.stringify(headers) as unknown as Record<string, string>,
      })),
    )
    .execute();
}

/**
 * The outbox insert of `events` as the body of a data-modifying CTE, for a change written in
 * one statement: its rows are inserted only when `when` (a boolean SQL expression evaluated in
 * that statement, e.g. `EXISTS (SELECT 1 FROM posted)`) holds, so they commit exactly with the
 * change. `when` may name `e.id`, each row's event id, for a statement that makes several
 * changes of which only some happen (`e.id IN (SELECT event_id FROM done)`). Only the unit of
 * work hands this out (UnitOfWork.recordInStatement).
 */
export function outboxInsertSql(names: BrokerNames, events: ReadonlyArray<DomainEvent>, when: RawBuilder<unknown>): RawBuilder<unknown> {
  if (events.length === 0) throw new Error('an outbox insert needs at least one event');
  const headers = JSON.stringify(currentTraceHeaders());
  const rows = events.map((event) => sql`(${event.id}::uuid, ${event.type}, ${eventSubject(names, event.type)}, ${JSON.stringify(event)}::jsonb, ${headers}::jsonb)`);
  return sql`INSERT INTO outbox (id, type, subject, payload, headers) SELECT * FROM (VALUES ${sql.join(rows)}) AS e (id, type, subject, payload, headers) WHERE ${when}`;
}
