import type { BrokerNames, DomainEvent, EventType } from '@elcorp/contracts';
import type { Kysely, KyselyPlugin, RawBuilder, Transaction } from '@elcorp/db';
import { signalOutboxCommit } from './commit-signal.js';
import { outboxInsertSql, writeOutbox } from './outbox.js';
import type { MessagingTables } from './tables.js';

/**
 * Events one unit of work may record. A use case announces a handful; a runaway loop must
 * fail its transaction rather than hold an unbounded list and write it in one statement
 * (Postgres takes at most 65,535 parameters, five per outbox row).
 */
export const eventsPerUnitMax = 1_000;

/**
 * What a use case holds while its writes run: the transaction, and the only way to announce
 * an event. A UnitOfWork exists only inside `runInUnitOfWork`'s callback, so an event can
 * never be written outside the transaction of the change it announces.
 */
export interface UnitOfWork<DB> {
  readonly trx: Transaction<DB>;
  /** Queues events for the outbox; they are written just before this transaction commits. */
  record(...events: ReadonlyArray<DomainEvent<EventType>>): void;
  /**
   * For a change written in one statement (one round trip): records `events` and returns the
   * body of a data-modifying CTE that writes their outbox rows in that statement, only when
   * `when` (a boolean SQL expression of the statement, which may name `e.id`, each event's id,
   * to write each on its own condition) holds. Embed it in the statement, or
   * the events are lost; they are not written again at the end of the unit. Only units opened
   * by `unitOfWork` (which know the broker names) offer it.
   */
  recordInStatement(events: ReadonlyArray<DomainEvent<EventType>>, when: RawBuilder<unknown>): RawBuilder<unknown>;
}

export interface UnitOfWorkOptions {
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
}

/** Runs a use case's writes; bound to one service's database and broker names. */
export type RunInUnitOfWork<DB> = <T>(work: (uow: UnitOfWork<DB>) => Promise<T>, options?: UnitOfWorkOptions) => Promise<T>;

/**
 * Opens a transaction, hands the use case a UnitOfWork, and writes the recorded events to
 * the outbox inside that transaction after the work returns. A rollback (the work throws)
 * discards them with everything else. Recording after the work has returned is a bug and
 * throws. After a commit that wrote events, the relay started on `db` is woken (in-process).
 */
export function unitOfWork<DB extends MessagingTables>(db: Kysely<DB>, names: BrokerNames): RunInUnitOfWork<DB> {
  return async (work, options) => {
    let builder = db.transaction();
    if (options?.isolation) builder = builder.setIsolationLevel(options.isolation);
    let written = 0;
    const result = await builder.execute(async (trx) => {
      const { uow, close, embedded } = openUnitOfWork(trx, names);
      const result = await work(uow);
      const events = close();
      await writeOutbox(trx, names, events);
      // Embedded rows may not have been inserted (their condition did not hold): at worst a needless drain.
      written = events.length + embedded();
      return result;
    });
    if (written > 0) signalOutboxCommit(db);
    return result;
  };
}

/**
 * A unit of work whose whole change is one statement, sent without BEGIN and COMMIT: Postgres
 * runs a lone statement atomically in a transaction of its own, so this saves two of three
 * round trips. The work gets a UnitOfWork whose `trx` runs exactly one statement (a second one
 * throws before it is sent, as it would commit on its own); its events go into that statement
 * with `recordInStatement` (`record` throws). To undo the statement, make it fail in the
 * database (raise); after it returns it has committed. The relay is woken after it if it
 * embedded events.
 */
export function oneStatementUnitOfWork<DB extends MessagingTables>(db: Kysely<DB>, names: BrokerNames): <T>(work: (uow: UnitOfWork<DB>) => Promise<T>) => Promise<T> {
  return async (work) => {
    let statements = 0;
    const onlyOne: KyselyPlugin = {
      transformQuery(args) {
        if (++statements > 1) throw new Error('a one-statement unit of work ran a second statement');
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    // Not a transaction: the one statement is its own. The type says what the work may do with it.
    const { uow, close, embedded } = openUnitOfWork(db.withPlugin(onlyOne) as unknown as Transaction<DB>, names);
    const single: UnitOfWork<DB> = {
      trx: uow.trx,
      record: () => {
        throw new Error('a one-statement unit of work records its events with recordInStatement');
      },
      recordInStatement: (events, when) => uow.recordInStatement(events, when),
    };
    try {
      const result = await work(single);
      if (embedded() > 0 && statements > 0) signalOutboxCommit(db);
      return result;
    } finally {
      close();
    }
  };
}

/**
 * A UnitOfWork over a transaction someone else opened (the consumer's batch, a savepoint).
 * `close()` ends recording and returns the events to write; the opener writes them.
 */
export function openUnitOfWork<DB>(trx: Transaction<DB>, names?: BrokerNames): { uow: UnitOfWork<DB>; close(): DomainEvent[]; embedded(): number } {
  const events: DomainEvent[] = [];
  let embedded = 0;
  let open = true;
  const admit = (count: number) => {
    // A late record (a promise the work forgot to await) would be lost silently: fail loudly.
    if (!open) throw new Error('event recorded after its unit of work ended');
    if (events.length + embedded + count > eventsPerUnitMax) throw new Error(`a unit of work records at most ${eventsPerUnitMax} events`);
  };
  const uow: UnitOfWork<DB> = {
    trx,
    record(...recorded) {
      admit(recorded.length);
      events.push(...(recorded as DomainEvent[]));
    },
    recordInStatement(recorded, when) {
      if (!names) throw new Error('recordInStatement needs a unit of work opened by unitOfWork');
      admit(recorded.length);
      embedded += recorded.length;
      return outboxInsertSql(names, recorded as ReadonlyArray<DomainEvent>, when);
    },
  };
  return {
    uow,
    close() {
      open = false;
      return events;
    },
    embedded: () => embedded,
  };
}
