import type { BrokerNames, DomainEvent } from '@elcorp/contracts';
import { sql, type Kysely, type Transaction } from '@elcorp/db';
import type { Delivery, EventSink, SinkResult } from './consumer.js';
import { writeOutbox } from './outbox.js';
import type { MessagingTables } from './tables.js';
import { SpanKind, withSpan } from './tracing.js';
import { openUnitOfWork, type UnitOfWork } from './unit-of-work.js';

export type InboxHandler<DB> = (event: DomainEvent, uow: UnitOfWork<DB>) => Promise<void>;

export interface InboxSinkOptions<DB extends MessagingTables> {
  db: Kysely<DB>;
  names: BrokerNames;
  /** The inbox's consumer column: the durable's name. */
  consumer: string;
  handle: InboxHandler<DB>;
}

/**
 * Applies a batch in one Postgres transaction with an inbox. The batch's inbox rows are
 * inserted in one statement (ON CONFLICT DO NOTHING: a row already there is a duplicate,
 * its handler is not run); then each new event runs under its own SAVEPOINT, and the events
 * its handler records are written to the outbox before the next savepoint. A failing handler
 * is rolled back to its savepoint together with its recorded events and its inbox row, so it
 * comes again while its neighbours commit. One savepoint statement per event (RELEASE and the
 * next SAVEPOINT travel together) keeps the cost near one round trip per event.
 */
export function inboxSink<DB extends MessagingTables>(options: InboxSinkOptions<DB>): EventSink {
  const db = options.db as unknown as Kysely<MessagingTables>;
  return {
    apply: (batch) =>
      db.transaction().execute(async (trx) => {
        const fresh = await insertInboxRows(trx, options.consumer, batch);
        const results: SinkResult[] = [];
        let savepoint = false;
        for (const delivery of batch) {
          const { event } = delivery;
          // delete: the same event twice in one batch (a redelivery) is applied once.
          if (!fresh.delete(event.id)) {
            results.push({ kind: 'duplicate' });
            continue;
          }
          await sql.raw(savepoint ? 'RELEASE SAVEPOINT event; SAVEPOINT event' : 'SAVEPOINT event').execute(trx);
          savepoint = true;
          try {
            await traced(delivery, options.consumer, async () => {
              const { uow, close } = openUnitOfWork(trx as unknown as Transaction<DB>);
              // Recording ends with the handler, even when it throws.
              const recorded = await options.handle(event, uow).then(close, (err: unknown) => {
                close();
                throw err;
              });
              await writeOutbox(trx, options.names, recorded);
            });
            results.push({ kind: 'applied' });
          } catch (err) {
            await sql.raw('ROLLBACK TO SAVEPOINT event').execute(trx);
            await trx.deleteFrom('inbox').where('consumer', '=', options.consumer).where('event_id', '=', event.id).execute();
            results.push({ kind: 'failed', error: err instanceof Error ? err : new Error(String(err)) });
          }
        }
        return results;
      }),
  };
}

/** The ids of the batch not yet in the inbox; sorted so concurrent replicas lock in one order. */
async function insertInboxRows(trx: Transaction<MessagingTables>, consumer: string, batch: ReadonlyArray<Delivery>): Promise<Set<string>> {
  const ids = [...new Set(batch.map((d) => d.event.id))].sort();
  const inserted = await trx
    .insertInto('inbox')
    .values(ids.map((event_id) => ({ consumer, event_id })))
    .onConflict((oc) => oc.doNothing())
    .returning('event_id')
    .execute();
  return new Set(inserted.map((row) => row.event_id));
}

function traced(delivery: Delivery, consumer: string, work: () => Promise<void>): Promise<void> {
  const attributes = {
    'messaging.system': 'nats',
    'messaging.destination.name': delivery.subject,
    'messaging.message.id': delivery.event.id,
    'messaging.consumer.group.name': consumer,
  };
  return withSpan(`process ${delivery.subject}`, SpanKind.CONSUMER, delivery.traceHeaders, attributes, work);
}
