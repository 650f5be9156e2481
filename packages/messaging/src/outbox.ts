import { eventSubject, type BrokerNames, type DomainEvent } from '@elcorp/contracts';
import type { Kysely, Transaction } from '@elcorp/db';
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
