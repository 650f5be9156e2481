import { eventSubject, parseEvent, type BrokerNames, type DomainEvent, type InvalidEventError } from '@elcorp/contracts';
import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { publishDeadLetter } from './dead-letter.js';
import { MessagingMetrics } from './metrics.js';

/** One valid event of a pulled batch, with what a sink needs to trace it. */
export interface Delivery {
  event: DomainEvent;
  subject: string;
  /** W3C trace headers the relay published with the event. */
  traceHeaders: Record<string, string>;
}

export type SinkResult = { kind: 'applied' | 'duplicate' } | { kind: 'failed'; error: Error };

/**
 * Where a consumer's events take effect. `apply` gets a batch in stream order and answers one
 * result per delivery, in the same order; a failed delivery must leave no effect behind while
 * its neighbours keep theirs. The loop acks only after `apply` resolves, so a sink with a
 * transaction commits before resolving. If `apply` throws, the whole batch is offered again.
 */
export interface EventSink {
  apply(batch: ReadonlyArray<Delivery>): Promise<ReadonlyArray<SinkResult>>;
}

export interface ConsumerTuning {
  /** Deliveries before a failing event is dead-lettered. */
  maxDeliver?: number;
  /** Events applied together (one transaction for a Postgres sink). */
  batchSize?: number;
  ackWaitMs?: number;
  /** Delay before a failed event is offered again, growing per delivery. */
  retryDelayMs?: (deliveryCount: number) => number;
  /** Failure injection for tests: runs per event after the batch's commit, before its ack. */
  afterCommit?: (event: DomainEvent) => void;
}

export interface ConsumerOptions extends ConsumerTuning {
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: BrokerNames;
  logger: Logger;
  /** Stream holding the events, e.g. streamName(names, 'IDENTITY'). */
  stream: string;
  /** Durable name shared by every replica of the consuming service. */
  durable: string;
  /** The one subject the server delivers to this durable (NATS 2.9 allows one filter). */
  filterSubject: string;
  sink: EventSink;
  metrics?: MessagingMetrics;
  /**
   * false for a consumer with no dead-letter duty (the gateway): invalid messages are acked
   * and logged, and a failing event is retried until it succeeds.
   */
  deadLetters?: boolean;
  /** Observes each settled event (after its ack or its dead-lettering). */
  onSettled?: (outcome: SettledOutcome) => void;
}

export type SettledOutcome =
  | { kind: 'applied' | 'duplicate'; consumer: string; event: DomainEvent }
  | { kind: 'dead_lettered'; consumer: string; reason: string; subject: string };

/** A failure that will never succeed on retry; the event goes straight to the dead letters. */
export class PermanentEventError extends Error {
  override name = 'PermanentEventError';
}

const defaultRetryDelayMs = (deliveryCount: number) => Math.min(30_000, 250 * 2 ** (deliveryCount - 1));
const nanosPerMs = 1_000_000;
const crashLoopFactor = 4;
/**
 * 128 by default: a batch's COMMIT (a WAL flush) is its largest fixed cost, and under CPU
 * contention 128 drained faster than 64 in the bench (1,150 vs 700-840 ev/s). Past 64 subtransactions one
 * transaction overflows Postgres's per-backend cache, which slows others' snapshots; only a
 * batch re-applied with savepoints after a failure uses subtransactions, so that stays rare.
 */
const defaultBatchSize = 128;
const batchSizeMax = 256;

/**
 * A durable JetStream pull consumer that applies what it pulls in batches through a sink.
 * Messages arrive into a bounded buffer while the previous batch is applied; each batch takes
 * what is buffered (up to batchSize), so a quiet stream is applied one event at a time with
 * no waiting, and a busy one in full batches. Acks follow the sink's commit: a crash in
 * between redelivers events the sink recognises (the inbox). Invalid events and events that
 * failed maxDeliver times are copied to the dead-letter subject and terminated.
 */
export class EventConsumer {
  private readonly maxDeliver: number;
  private readonly batchSize: number;
  private readonly metrics: MessagingMetrics;
  private readonly deadLetters: boolean;
  private messages: ConsumerMessages | undefined;
  private buffer: JsMsg[] = [];
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(private readonly options: ConsumerOptions) {
    this.maxDeliver = options.maxDeliver ?? 5;
    this.batchSize = Math.min(Math.max(options.batchSize ?? defaultBatchSize, 1), batchSizeMax);
    this.metrics = options.metrics ?? new MessagingMetrics();
    this.deadLetters = options.deadLetters ?? true;
  }

  get durable(): string {
    return this.options.durable;
  }

  async start(): Promise<void> {
    const { jsm, js, stream, durable } = this.options;
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: this.options.filterSubject,
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
    // Two batches buffered: the next one is already here while one is being applied.
    this.messages = await consumer.consume({
      max_messages: this.batchSize * 2,
      callback: (msg) => {
        if (this.stopping) {
          msg.nak();
          return;
        }
        this.buffer.push(msg);
        this.wake?.();
      },
    });
    this.loopDone = this.loop();
  }

  /** Stops pulling, finishes the batch in hand, and gives back what was buffered. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close();
    this.wake?.();
    await this.loopDone;
    for (const msg of this.buffer.splice(0)) msg.nak();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      if (this.buffer.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const batch = this.buffer.splice(0, this.batchSize);
      const outcomes = await this.process(batch).catch((err: unknown) => {
        this.options.logger.error({ err, durable: this.options.durable }, 'batch processing failed unexpectedly');
        return [];
      });
      // Reported after the acks, so the event's span has ended before anyone observes it.
      for (const outcome of outcomes) this.options.onSettled?.(outcome);
    }
  }

  /** Handles one batch; returns how its events settled (events that will come again are left out). */
  private async process(batch: JsMsg[]): Promise<SettledOutcome[]> {
    const { durable } = this.options;
    const settled: SettledOutcome[] = [];
    const valid: Array<{ msg: JsMsg; delivery: Delivery }> = [];
    for (const msg of batch) {
      if (msg.info.deliveryCount > 1) this.metrics.redeliveries.inc({ consumer: durable });
      const delivery = this.validate(msg);
      if (typeof delivery === 'string') {
        const outcome = await this.invalid(msg, delivery);
        if (outcome) settled.push(outcome);
      } else if (this.deadLetters && msg.info.deliveryCount > this.maxDeliver * crashLoopFactor) {
        // Deliveries that never reached an outcome (the process died in the handler, or naks
        // at shutdown) still count; far past maxDeliver this is a crash loop, so stop it here.
        const outcome = await this.deadLetter(msg, `delivered ${msg.info.deliveryCount} times without an outcome`, 'max_deliveries');
        if (outcome) settled.push(outcome);
      } else {
        valid.push({ msg, delivery });
      }
    }
    if (valid.length === 0) return settled;

    let results: ReadonlyArray<SinkResult>;
    try {
      results = await this.options.sink.apply(valid.map((v) => v.delivery));
    } catch (err) {
      // Nothing of the batch took effect (a failed commit, a lost connection): all come again.
      this.options.logger.warn({ err, durable, events: valid.length }, 'batch could not be applied; retrying later');
      for (const { msg } of valid) msg.nak((this.options.retryDelayMs ?? defaultRetryDelayMs)(msg.info.deliveryCount));
      return settled;
    }

    const toAck: JsMsg[] = [];
    const acked: Array<Extract<SettledOutcome, { event: DomainEvent }>> = [];
    for (const [i, { msg, delivery }] of valid.entries()) {
      const result = results[i] ?? { kind: 'failed', error: new Error('the sink returned no result') };
      if (result.kind === 'failed') {
        const outcome = await this.retryOrDeadLetter(msg, delivery.event, result.error);
        if (outcome) settled.push(outcome);
        continue;
      }
      try {
        this.options.afterCommit?.(delivery.event);
      } catch (err) {
        // The effect is committed; the redelivery will find the inbox row and only ack.
        this.options.logger.warn({ err, eventId: delivery.event.id }, 'ack after commit failed; the redelivery will be skipped');
        msg.nak();
        continue;
      }
      toAck.push(msg);
      acked.push({ kind: result.kind, consumer: durable, event: delivery.event });
    }
    if (await this.ackAll(toAck)) {
      for (const outcome of acked) this.metrics.processed.inc({ consumer: durable, outcome: outcome.kind });
      settled.push(...acked);
    }
    return settled;
  }

  /**
   * Acks without waiting for each confirmation, then confirms the last one: the server handles
   * one connection's messages in order, so its confirmation covers the acks before it.
   */
  private async ackAll(msgs: JsMsg[]): Promise<boolean> {
    const last = msgs.at(-1);
    if (!last) return true;
    for (const msg of msgs.slice(0, -1)) msg.ack();
    try {
      await last.ackAck();
      return true;
    } catch (err) {
      this.options.logger.warn({ err, durable: this.options.durable }, 'ack after commit failed; redeliveries will be skipped');
      return false;
    }
  }

  /** The delivery, or why the message is not a valid event of this durable's type. */
  private validate(msg: JsMsg): Delivery | string {
    let raw: unknown;
    try {
      raw = msg.json();
    } catch (err) {
      return `unreadable message: ${(err as Error).message}`;
    }
    let event: DomainEvent;
    try {
      event = parseEvent(raw);
    } catch (err) {
      return (err as InvalidEventError).message;
    }
    // The filter delivers one subject; a body of another type was published under a false name.
    if (msg.subject !== eventSubject(this.options.names, event.type)) return `invalid event: ${event.type} published on ${msg.subject}`;
    const traceHeaders: Record<string, string> = {};
    for (const key of ['traceparent', 'tracestate']) {
      const value = msg.headers?.get(key);
      if (value) traceHeaders[key] = value;
    }
    return { event, subject: msg.subject, traceHeaders };
  }

  private async invalid(msg: JsMsg, reason: string): Promise<SettledOutcome | undefined> {
    if (this.deadLetters) return this.deadLetter(msg, reason, 'invalid');
    this.options.logger.warn({ subject: msg.subject, sequence: msg.info.streamSequence, reason }, 'invalid event acked and skipped');
    msg.ack();
    return undefined;
  }

  private async retryOrDeadLetter(msg: JsMsg, event: DomainEvent, err: Error): Promise<SettledOutcome | undefined> {
    const { durable, logger } = this.options;
    const permanent = err instanceof PermanentEventError;
    if (this.deadLetters && (permanent || msg.info.deliveryCount >= this.maxDeliver)) {
      return this.deadLetter(msg, err.message, permanent ? 'permanent' : 'max_deliveries');
    }
    const delayMs = (this.options.retryDelayMs ?? defaultRetryDelayMs)(msg.info.deliveryCount);
    logger.warn({ err: { message: err.message }, eventId: event.id, deliveries: msg.info.deliveryCount, delayMs }, 'event handler failed; retrying later');
    this.metrics.processed.inc({ consumer: durable, outcome: 'retry' });
    msg.nak(delayMs);
    return undefined;
  }

  private async deadLetter(msg: JsMsg, reason: string, kind: string): Promise<SettledOutcome | undefined> {
    const { js, names, durable, logger } = this.options;
    try {
      await publishDeadLetter(js, names, durable, msg, reason);
      msg.term(reason.slice(0, 200));
      this.metrics.deadLetters.inc({ consumer: durable, reason: kind });
      logger.error({ subject: msg.subject, sequence: msg.info.streamSequence, reason }, 'event dead-lettered');
      return { kind: 'dead_lettered', consumer: durable, reason, subject: msg.subject };
    } catch (err) {
      // Could not reach the dead-letter stream: leave the event for a later delivery.
      logger.error({ err }, 'dead-lettering failed; retrying later');
      msg.nak(5_000);
      return undefined;
    }
  }
}
