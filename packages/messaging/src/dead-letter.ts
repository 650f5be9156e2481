import { deadLetterSubject, type BrokerNames } from '@elcorp/contracts';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';

/** Headers a dead letter carries so an operator can see where it came from and why. */
export const deadLetterHeaders = {
  reason: 'Elcorp-Dlq-Reason',
  consumer: 'Elcorp-Dlq-Consumer',
  originalSubject: 'Elcorp-Dlq-Subject',
  originalStream: 'Elcorp-Dlq-Stream',
  originalSequence: 'Elcorp-Dlq-Sequence',
  deliveries: 'Elcorp-Dlq-Deliveries',
} as const;

/**
 * Copies a message that will never succeed to `<root>.dlq.<consumer>`, keeping its body and
 * trace headers. The msgID makes a repeated dead-lettering of the same delivery a no-op.
 */
export async function publishDeadLetter(
  js: JetStreamClient,
  names: BrokerNames,
  consumer: string,
  msg: JsMsg,
  reason: string,
): Promise<void> {
  const h = natsHeaders();
  for (const key of ['traceparent', 'tracestate', 'Elcorp-Event-Type']) {
    const value = msg.headers?.get(key);
    if (value) h.set(key, value);
  }
  h.set(deadLetterHeaders.reason, reason.replace(/[\r\n]+/g, ' ').slice(0, 1_000));
  h.set(deadLetterHeaders.consumer, consumer);
  h.set(deadLetterHeaders.originalSubject, msg.subject);
  h.set(deadLetterHeaders.originalStream, msg.info.stream);
  h.set(deadLetterHeaders.originalSequence, String(msg.info.streamSequence));
  h.set(deadLetterHeaders.deliveries, String(msg.info.deliveryCount));
  await js.publish(deadLetterSubject(names, consumer), msg.data, {
    headers: h,
    msgID: `dlq:${consumer}:${msg.info.stream}:${msg.info.streamSequence}`,
  });
}
