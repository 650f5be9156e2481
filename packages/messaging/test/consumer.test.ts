import { deadLetterSubject } from '@elcorp/contracts';
import { AckPolicy } from '@nats-io/jetstream';
import { sql } from '@elcorp/db';
import t from 'tap';
import { deadLetterHeaders } from '../src/index.js';
import { everyOnce, harness } from './harness.js';

t.test('a crash after the handler commit but before the ack is skipped on redelivery', async (t) => {
  const h = await harness(t);
  const events = await h.commitEvents(3);
  let crashes = 1;
  await h.relay().drainOnce();
  await h
    .consumer({
      afterCommit: () => {
        if (crashes-- > 0) throw new Error('killed before ack');
      },
    })
    .start();
  const duplicates = await h.settled('duplicate', 1);
  // The crashed event counts as a duplicate on its redelivery, so only two settle as applied.
  t.equal((await h.settled('applied', 2)).length, 2);
  t.equal(duplicates.length, 1, 'the redelivered event was recognised by the inbox');
  everyOnce(t, events, await h.effects());
});

t.test('a failure in the middle of the handler rolls back its partial effect and retries', async (t) => {
  const h = await harness(t);
  const [event] = await h.commitEvents(1);
  await h.relay().drainOnce();
  let failures = 2;
  await h
    .consumer({
      handle: async (e, trx) => {
        await sql`INSERT INTO effects (event_id, n) VALUES (${e.id}, 1)
                  ON CONFLICT (event_id) DO UPDATE SET n = effects.n + 1`.execute(trx);
        if (failures-- > 0) throw new Error('downstream hiccup after a partial write');
      },
    })
    .start();
  await h.settled('applied', 1);
  everyOnce(t, [event!], await h.effects());
});

t.test('a malformed message is dead-lettered and the consumer carries on', async (t) => {
  const h = await harness(t);
  const subject = `${h.names.root}.identity.user.registered`;
  await h.js.publish(subject, '{"not":"an event"');
  await h.js.publish(subject, JSON.stringify({ id: crypto.randomUUID(), type: 'identity.user.registered', version: 1 }));
  const events = await h.commitEvents(2);
  await h.relay().drainOnce();
  await h.consumer().start();
  const dead = await h.settled('dead_lettered', 2);
  await h.settled('applied', 2);
  everyOnce(t, events, await h.effects());
  t.match(dead[0], { kind: 'dead_lettered', reason: /unreadable message/ });
  t.match(dead[1], { kind: 'dead_lettered', reason: /invalid event/ });

  // An operator finds both on the dead-letter subject with their reason and origin.
  const stream = `${h.names.root.toUpperCase()}_DLQ`;
  await h.jsm.consumers.add(stream, { durable_name: 'inspect', ack_policy: AckPolicy.None });
  const inspect = await h.js.consumers.get(stream, 'inspect');
  const first = await inspect.next({ expires: 2_000 });
  t.equal(first?.subject, deadLetterSubject(h.names, 'test-effects'));
  t.equal(first?.headers?.get(deadLetterHeaders.originalSubject), subject);
  t.match(first?.headers?.get(deadLetterHeaders.reason), /unreadable/);
  t.equal(first?.string(), '{"not":"an event"', 'the body is kept as it was');
});

t.test('an event that keeps failing is dead-lettered after maxDeliver attempts', async (t) => {
  const h = await harness(t);
  await h.commitEvents(1);
  await h.relay().drainOnce();
  let attempts = 0;
  await h
    .consumer({
      maxDeliver: 3,
      handle: async () => {
        attempts += 1;
        throw new Error('always broken');
      },
    })
    .start();
  const [dead] = await h.settled('dead_lettered', 1);
  t.equal(attempts, 3);
  t.match(dead, { reason: 'always broken' });
  t.equal((await h.effects()).size, 0);
});

t.test('stop() finishes the event in hand and leaves the rest for another instance', async (t) => {
  const h = await harness(t);
  const events = await h.commitEvents(20);
  await h.relay().drainOnce();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inHandler = new Promise<void>((resolve) => (entered = resolve));
  const first = h.consumer({
    maxInFlight: 10,
    handle: async (e, trx) => {
      entered();
      await gate;
      await sql`INSERT INTO effects (event_id, n) VALUES (${e.id}, 1)`.execute(trx);
    },
  });
  await first.start();
  await inHandler;
  const stopping = first.stop();
  release();
  await stopping;
  await h.consumer().start();
  await h.settled('applied', 20);
  everyOnce(t, events, await h.effects());
});
