import type { BrokerNames, DomainEvent } from '@elcorp/contracts';
import { sql, type Kysely, type Transaction } from '@elcorp/db';
import { signalOutboxCommit } from './commit-signal.js';
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
 * inserted in one statement (ON CONFLICT DO NOTHING: a row already there is a duplicate, its
 * handler is not run), then each new event's handler runs and the events it recorded are
 * written to the outbox, all committing together.
 *
 * A failing event is isolated with savepoints: each event runs under its own SAVEPOINT, and a
 * failure rolls back to it (its effect, its recorded events, its inbox row) while its
 * neighbours commit. A savepoint costs a round trip per event, which halved the drain rate in
 * the bench, and failures are rare; so a batch first runs without savepoints, and only when a
 * handler fails is that attempt rolled back and the batch applied again with one savepoint per
 * event, the failed event marked failed without running its handler a second time.
 */
export function inboxSink<DB extends MessagingTables>(options: InboxSinkOptions<DB>): EventSink {
  const db = options.db as unknown as Kysely<MessagingTables>;
  return {
    async apply(batch) {
      const written = { events: 0 };
      let results: SinkResult[];
      try {
        results = await db.transaction().execute((trx) => applyBatch(trx, batch, options, written));
      } catch (err) {
        if (!(err instanceof HandlerFailed)) throw err;
        written.events = 0;
        results = await db.transaction().execute((trx) => applyBatch(trx, batch, options, written, err));
      }
      // Committed: the handlers' events are in the outbox, so the relay need not wait for its poll.
      if (written.events > 0) signalOutboxCommit(options.db);
      return results;
    },
  };
}

/** Ends the savepoint-less attempt: its transaction rolls back and the batch runs isolated. */
class HandlerFailed extends Error {
  constructor(
    readonly index: number,
    readonly error: Error,
  ) {
    super(error.message);
  }
}

async function applyBatch<DB extends MessagingTables>(
  trx: Transaction<MessagingTables>,
  batch: ReadonlyArray<Delivery>,
  options: InboxSinkOptions<DB>,
  written: { events: number },
  isolate?: HandlerFailed,
): Promise<SinkResult[]> {
  const failedFirst = isolate ? batch[isolate.index]?.event.id : undefined;
  const fresh = await insertInboxRows(
    trx,
    options.consumer,
    batch.filter((d) => d.event.id !== failedFirst),
  );
  const results: SinkResult[] = [];
  let savepoint = false;
  for (const [index, delivery] of batch.entries()) {
    const { event } = delivery;
    if (isolate && index === isolate.index) {
      results.push({ kind: 'failed', error: isolate.error });
      continue;
    }
    // delete: the same event twice in one batch (a redelivery) is applied once.
    if (!fresh.delete(event.id)) {
      results.push({ kind: 'duplicate' });
      continue;
    }
    if (isolate) {
      // RELEASE and the next SAVEPOINT travel in one round trip.
      await sql.raw(savepoint ? 'RELEASE SAVEPOINT event; SAVEPOINT event' : 'SAVEPOINT event').execute(trx);
      savepoint = true;
    }
    try {
      await traced(delivery, options.consumer, async () => {
        const { uow, close } = openUnitOfWork(trx as unknown as Transaction<DB>);
        // Recording ends with the handler, even when it throws.
        const recorded = await options.handle(event, uow).then(close, (err: unknown) => {
          close();
          throw err;
        });
        await writeOutbox(trx, options.names, recorded);
        // Counted for the wake after commit; a savepoint rolled back later may undo some, which
        // costs only a needless drain.
        written.events += recorded.length;
      });
      results.push({ kind: 'applied' });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (!isolate) throw new HandlerFailed(index, error);
      await sql.raw('ROLLBACK TO SAVEPOINT event').execute(trx);
      await trx.deleteFrom('inbox').where('consumer', '=', options.consumer).where('event_id', '=', event.id).execute();
      results.push({ kind: 'failed', error });
    }
  }
  return results;
}

/** The ids of the batch not yet in the inbox; sorted so concurrent replicas lock in one order. */
async function insertInboxRows(trx: Transaction<MessagingTables>, consumer: string, batch: ReadonlyArray<Delivery>): Promise<Set<string>> {
  if (batch.length === 0) return new Set();
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
