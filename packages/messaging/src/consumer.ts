import { eventSubject, InvalidEventError, parseEvent, type BrokerNames, type DomainEvent, type EventType } from '@elcorp/contracts';
import type { Kysely, Transaction } from '@elcorp/db';
import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { publishDeadLetter } from './dead-letter.js';
import { MessagingMetrics } from './metrics.js';
import type { MessagingTables } from './tables.js';
import { SpanKind, withSpan } from './tracing.js';

export type EventHandler<DB> = (event: DomainEvent, trx: Transaction<DB>) => Promise<void>;

export interface ConsumerOptions<DB extends MessagingTables> {
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: BrokerNames;
  db: Kysely<DB>;
  logger: Logger;
  /** Stream holding the events, e.g. streamName(names, 'IDENTITY'). */
  stream: string;
  /** Durable name shared by every replica of the consuming service: `<service>-<purpose>`. */
  durable: string;
  types: ReadonlyArray<EventType>;
  handle: EventHandler<DB>;
  metrics?: MessagingMetrics;
  /** Deliveries before a failing event is dead-lettered. */
  maxDeliver?: number;
  /** Events buffered and unacknowledged per instance. */
  maxInFlight?: number;
  ackWaitMs?: number;
  /** Delay before a failed event is offered again, growing per delivery. */
  retryDelayMs?: (deliveryCount: number) => number;
  /** Failure injection for tests: runs after the handler's commit, before the ack. */
  afterCommit?: (event: DomainEvent) => void;
  /** Observes each settled event (after its ack or its dead-lettering). */
  onSettled?: (outcome: SettledOutcome) => void;
}

export type SettledOutcome =
  | { kind: 'applied' | 'duplicate'; event: DomainEvent }
  | { kind: 'dead_lettered'; reason: string; subject: string };

/** A failure that will never succeed on retry; the event goes straight to the dead letters. */
export class PermanentEventError extends Error {
  override name = 'PermanentEventError';
}

const defaultRetryDelayMs = (deliveryCount: number) => Math.min(30_000, 250 * 2 ** (deliveryCount - 1));
const nanosPerMs = 1_000_000;
const crashLoopFactor = 4;

/**
 * A durable JetStream consumer with an inbox: the handler's effect and the inbox row commit
 * together and the ack follows the commit, so a redelivery (a crash before the ack, a lost
 * ack) is recognised and skipped. Events that fail validation, or fail maxDeliver times, are
 * copied to the dead-letter subject and terminated, and the consumer carries on.
 */
export class EventConsumer<DB extends MessagingTables> {
  private readonly maxDeliver: number;
  private readonly maxInFlight: number;
  private readonly metrics: MessagingMetrics;
  private messages: ConsumerMessages | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly types: ReadonlySet<string>;

  constructor(private readonly options: ConsumerOptions<DB>) {
    this.maxDeliver = options.maxDeliver ?? 5;
    this.maxInFlight = Math.min(Math.max(options.maxInFlight ?? 32, 1), 1_000);
    this.metrics = options.metrics ?? new MessagingMetrics();
    this.types = new Set(options.types);
  }

  async start(): Promise<void> {
    const { jsm, js, stream, durable } = this.options;
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      // One filter subject works on every server; several need NATS 2.10, and Debian ships
      // older. With several types we read the stream's subjects and skip the others here.
      filter_subject: this.options.types.length === 1 ? eventSubject(this.options.names, this.options.types[0]!) : undefined,
      ack_wait: (this.options.ackWaitMs ?? 30_000) * nanosPerMs,
      // The server never gives up on its own; we dead-letter explicitly after maxDeliver.
      max_deliver: -1,
      max_ack_pending: 10_000,
    };
    try {
      await jsm.consumers.add(stream, config);
    } catch (err) {
      if (!/already in use|exists/i.test((err as Error).message)) throw err;
      await jsm.consumers.update(stream, durable, config);
    }
    this.metrics.watchLag(durable, async () => (await jsm.consumers.info(stream, durable)).num_pending);
    const consumer = await js.consumers.get(stream, durable);
    this.messages = await consumer.consume({ max_messages: this.maxInFlight });
    this.loopDone = this.loop(this.messages);
  }

  /** Stops pulling, finishes the event in hand, and gives back what was buffered. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close();
    await this.loopDone;
  }

  private async loop(messages: ConsumerMessages): Promise<void> {
    for await (const msg of messages) {
      if (this.stopping) {
        msg.nak();
        continue;
      }
      // Reported after process() returns, so its span has ended before anyone observes it.
      const outcome = await this.process(msg).catch((err: unknown) => {
        this.options.logger.error({ err, subject: msg.subject }, 'event processing failed unexpectedly');
        return undefined;
      });
      if (outcome) this.options.onSettled?.(outcome);
    }
  }

  /** Handles one delivery; returns how it settled, or undefined when it will come again. */
  private async process(msg: JsMsg): Promise<SettledOutcome | undefined> {
    const { durable, logger } = this.options;
    if (msg.info.deliveryCount > 1) this.metrics.redeliveries.inc({ consumer: durable });
    let raw: unknown;
    try {
      raw = msg.json();
    } catch (err) {
      return this.deadLetter(msg, `unreadable message: ${(err as Error).message}`, 'invalid');
    }
    // A consumer of several types reads the whole stream: others' events, even malformed
    // ones, are not its business (their own consumers dead-letter them).
    const type = (raw as { type?: unknown } | null)?.type;
    if (typeof type === 'string' && !this.types.has(type)) {
      msg.ack();
      return undefined;
    }
    let event: DomainEvent;
    try {
      event = parseEvent(raw);
    } catch (err) {
      return this.deadLetter(msg, (err as InvalidEventError).message, 'invalid');
    }
    if (!this.types.has(event.type)) {
      msg.ack();
      return undefined;
    }
    // Deliveries that never reached an outcome (the process died in the handler, or naks
    // at shutdown) still count; far past maxDeliver this is a crash loop, so stop it here.
    if (msg.info.deliveryCount > this.maxDeliver * crashLoopFactor) {
      return this.deadLetter(msg, `delivered ${msg.info.deliveryCount} times without an outcome`, 'max_deliveries');
    }
    const carrier: Record<string, string> = {};
    for (const key of ['traceparent', 'tracestate']) {
      const value = msg.headers?.get(key);
      if (value) carrier[key] = value;
    }
    const attributes = { 'messaging.system': 'nats', 'messaging.destination.name': msg.subject, 'messaging.message.id': event.id, 'messaging.consumer.group.name': durable };
    return withSpan(`process ${msg.subject}`, SpanKind.CONSUMER, carrier, attributes, async (): Promise<SettledOutcome | undefined> => {
      let outcome: 'applied' | 'duplicate';
      try {
        outcome = await this.applyOnce(event);
      } catch (err) {
        return this.retryOrDeadLetter(msg, event, err as Error);
      }
      try {
        this.options.afterCommit?.(event);
        await msg.ackAck();
        this.metrics.processed.inc({ consumer: durable, outcome });
        return { kind: outcome, event };
      } catch (err) {
        // The effect is committed; a redelivery will find the inbox row and only ack.
        logger.warn({ err, eventId: event.id }, 'ack after commit failed; the redelivery will be skipped');
        msg.nak();
        return undefined;
      }
    });
  }

  private async retryOrDeadLetter(msg: JsMsg, event: DomainEvent, err: Error): Promise<SettledOutcome | undefined> {
    const { durable, logger } = this.options;
    if (err instanceof PermanentEventError || msg.info.deliveryCount >= this.maxDeliver) {
      return this.deadLetter(msg, err.message, err instanceof PermanentEventError ? 'permanent' : 'max_deliveries');
    }
    const delayMs = (this.options.retryDelayMs ?? defaultRetryDelayMs)(msg.info.deliveryCount);
    logger.warn({ err, eventId: event.id, deliveries: msg.info.deliveryCount, delayMs }, 'event handler failed; retrying later');
    this.metrics.processed.inc({ consumer: durable, outcome: 'retry' });
    msg.nak(delayMs);
    return undefined;
  }

  /** Runs the handler and records the event in the inbox in one transaction. */
  private async applyOnce(event: DomainEvent): Promise<'applied' | 'duplicate'> {
    const db = this.options.db as unknown as Kysely<MessagingTables>;
    return db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('inbox')
        .values({ consumer: this.options.durable, event_id: event.id })
        .onConflict((oc) => oc.doNothing())
        .returning('event_id')
        .executeTakeFirst();
      if (!inserted) return 'duplicate';
      await this.options.handle(event, trx as unknown as Transaction<DB>);
      return 'applied';
    });
  }

  private async deadLetter(msg: JsMsg, reason: string, kind: string): Promise<SettledOutcome | undefined> {
    const { js, names, durable, logger } = this.options;
    try {
      await publishDeadLetter(js, names, durable, msg, reason);
      msg.term(reason.slice(0, 200));
      this.metrics.deadLetters.inc({ consumer: durable, reason: kind });
      logger.error({ subject: msg.subject, sequence: msg.info.streamSequence, reason }, 'event dead-lettered');
      return { kind: 'dead_lettered', reason, subject: msg.subject };
    } catch (err) {
      // Could not reach the dead-letter stream: leave the event for a later delivery.
      logger.error({ err }, 'dead-lettering failed; retrying later');
      msg.nak(5_000);
      return undefined;
    }
  }
}
