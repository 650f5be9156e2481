import { createEvent, type BrokerNames, type DomainEvent } from '@elcorp/contracts';
import { createDatabase, migrate, sql, type Database } from '@elcorp/db';
import { testNatsPrefix, testSchema } from '@elcorp/testing';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import type { Test } from 'tap';
import {
  ensureStreams,
  EventConsumer,
  inboxSink,
  messagingMigrations,
  OutboxRelay,
  unitOfWork,
  type ConsumerOptions,
  type InboxHandler,
  type MessagingTables,
  type RelayOptions,
  type SettledOutcome,
} from '../src/index.js';

/** A consumer effect the tests can count: applying an event twice shows as n = 2. */
export interface TestTables extends MessagingTables {
  effects: { event_id: string; n: number };
}

export const silent = pino({ level: 'silent' });

export type ConsumerOverrides = Partial<Omit<ConsumerOptions, 'sink'>> & { handle?: InboxHandler<TestTables> };

/** The counting effect: applying an event twice shows as n = 2. */
export const countEffect: InboxHandler<TestTables> = async (event, uow) => {
  await sql`INSERT INTO effects (event_id, n) VALUES (${event.id}, 1)
            ON CONFLICT (event_id) DO UPDATE SET n = effects.n + 1`.execute(uow.trx);
};

export interface Harness {
  names: BrokerNames;
  schema: string;
  database: Database<TestTables>;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Commits `count` user-registered events in one transaction. */
  commitEvents(count: number): Promise<DomainEvent[]>;
  relay(overrides?: Partial<RelayOptions>): OutboxRelay;
  /** A consumer of identity.user.registered through the inbox; `handle` replaces the counting effect. */
  consumer(overrides?: ConsumerOverrides): EventConsumer;
  /** Resolves once `count` outcomes matching `kind` were settled by harness consumers. */
  settled(kind: SettledOutcome['kind'], count: number): Promise<SettledOutcome[]>;
  effects(): Promise<Map<string, number>>;
  streamMessages(stream: string): Promise<number>;
}

export async function harness(t: Test, natsUrl?: string): Promise<Harness> {
  const { url, schema } = await testSchema(t, 'msg');
  const { prefix, url: sharedNatsUrl } = await testNatsPrefix(t);
  const names = { root: prefix.toLowerCase() };
  const database = createDatabase<TestTables>({ url, schema });
  t.teardown(() => database.close());
  await migrate({ pool: database.pool, schema, migrationsDir: messagingMigrations.dir, historyTable: messagingMigrations.historyTable });
  await sql`CREATE TABLE effects (event_id uuid PRIMARY KEY, n int NOT NULL)`.execute(database.db);

  const nc = await connect({ servers: natsUrl ?? sharedNatsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  t.teardown(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  // Small streams: JetStream reserves max_bytes and many test files run at once.
  await ensureStreams(jsm, names, 8 * 1024 * 1024);

  const outcomes: SettledOutcome[] = [];
  const waiters: Array<() => void> = [];
  const stoppers: Array<() => Promise<void>> = [];
  t.teardown(async () => {
    for (const stop of stoppers.reverse()) await stop();
  });

  return {
    names,
    schema,
    database,
    nc,
    js,
    jsm,
    async commitEvents(count) {
      const events = Array.from({ length: count }, (_, i) => {
        const userId = crypto.randomUUID();
        return createEvent('identity.user.registered', {
          subject: { type: 'user', id: userId },
          actor: null,
          data: { userId, email: `u${i}@example.na`, fullName: `User ${i}`, phone: '+264811234567' },
        });
      });
      await unitOfWork(database.db, names)(async ({ record }) => record(...events));
      return events;
    },
    relay(overrides = {}) {
      const relay = new OutboxRelay({ pool: database.pool, db: database.db, schema, js, logger: silent, pollIntervalMs: 200, maxBackoffMs: 500, publishTimeoutMs: 1_000, ...overrides });
      stoppers.push(() => relay.stop());
      return relay;
    },
    consumer(overrides = {}) {
      const { handle = countEffect, ...options } = overrides;
      const durable = options.durable ?? 'test-effects';
      const consumer = new EventConsumer({
        js,
        jsm,
        names,
        logger: silent,
        stream: `${prefix}_IDENTITY`,
        durable,
        filterSubject: `${names.root}.identity.user.registered`,
        retryDelayMs: () => 50,
        ackWaitMs: 2_000,
        ...options,
        sink: inboxSink({ db: database.db, names, consumer: durable, handle }),
        onSettled: (outcome) => {
          overrides.onSettled?.(outcome);
          outcomes.push(outcome);
          for (const wake of waiters.splice(0)) wake();
        },
      });
      stoppers.push(() => consumer.stop());
      return consumer;
    },
    async settled(kind, count) {
      for (;;) {
        const matching = outcomes.filter((o) => o.kind === kind);
        if (matching.length >= count) return matching;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    async effects() {
      const rows = await database.db.selectFrom('effects').select(['event_id', 'n']).execute();
      return new Map(rows.map((r) => [r.event_id, r.n]));
    },
    async streamMessages(stream) {
      return (await jsm.streams.info(stream)).state.messages;
    },
  };
}

export function everyOnce(t: Test, events: DomainEvent[], effects: Map<string, number>): void {
  t.equal(effects.size, events.length, `${events.length} events applied`);
  t.ok(events.every((e) => effects.get(e.id) === 1), 'each event applied exactly once');
}
