import { eventSubject, InvalidEventError, parseEvent, streamName, type BrokerNames, type DomainEvent, type EventType } from '@elcorp/contracts';
import { DeliverPolicy, jetstream, JetStreamApiCodes, JetStreamApiError, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { sourceOf } from './subscriptions.js';

export interface FollowOptions<T extends EventType> {
  nats: NatsConnection;
  names: BrokerNames;
  type: T;
  /** Events published up to this long before the follow starts are delivered too: a replica that just started hears what it missed. */
  replayMs: number;
  /** Called once per event, in stream order; a throw is logged and the next event follows. */
  onEvent: (event: DomainEvent<T>) => void;
  logger: Pick<Logger, 'warn' | 'error'>;
  /** Pause between attempts to find the stream, while its producer has not created it yet. */
  retryDelayMs?: number;
}

export interface Following {
  stop(): Promise<void>;
}

/** A follower reads one event at a time; a few in hand keep it going without holding a backlog. */
const messagesInHand = 16;

/**
 * Every event of one type, heard by this process: each replica hears each event. For state a
 * replica keeps in memory (a verifier's key set), never for work to be done once, which is a
 * durable consumer's (EventConsumer). An ordered consumer: ephemeral, in memory on the
 * broker, no acks, recreated by the client after a broker restart, and gone a few minutes
 * after this process. A message that is not a valid event of the type is logged and skipped.
 * If the producer has not created its stream yet, finding it is retried in the background.
 */
export async function followEvents<T extends EventType>(options: FollowOptions<T>): Promise<Following> {
  const { names, type, logger } = options;
  const stream = streamName(names, sourceOf(type).toUpperCase());
  const retryDelayMs = options.retryDelayMs ?? 2_000;
  const js = jetstream(options.nats);
  const startedAt = Date.now();
  let messages: ConsumerMessages | undefined;
  let loop: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  let warned = false;

  const deliver = (message: JsMsg) => {
    const { seq } = message;
    let event: DomainEvent;
    try {
      event = parseEvent(message.json());
      if (event.type !== type) throw new InvalidEventError(`${event.type} on the subject of ${type}`);
    } catch (err) {
      logger.warn({ stream, seq, err: { message: (err as Error).message } }, 'followed message is not a valid event; skipped');
      return;
    }
    try {
      options.onEvent(event as DomainEvent<T>);
    } catch (err) {
      logger.error({ stream, seq, type, err }, 'handling a followed event failed');
    }
  };

  const attempt = async (): Promise<void> => {
    if (stopped) return;
    try {
      const consumer = await js.consumers.get(stream, {
        filter_subjects: eventSubject(names, type),
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: new Date(startedAt - options.replayMs).toISOString(),
      });
      if (stopped) return;
      messages = await consumer.consume({ max_messages: messagesInHand });
      // Stopped while the consumer was being made: stop() found nothing to stop yet.
      if (stopped) {
        messages.stop();
        return;
      }
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
      if (!warned) logger.warn({ stream, type }, 'stream not found yet; its events will be followed once it exists');
      warned = true;
      retry = setTimeout(() => attempt().catch((e: unknown) => logger.error({ err: e, stream, type }, 'following events failed to start')), retryDelayMs);
      retry.unref();
      return;
    }
    const reading = messages;
    loop = (async () => {
      for await (const message of reading) deliver(message);
    })().catch((err: unknown) => logger.error({ err, stream, type }, 'following events ended'));
  };
  await attempt();

  return {
    async stop() {
      stopped = true;
      clearTimeout(retry);
      messages?.stop();
      await loop;
    },
  };
}
