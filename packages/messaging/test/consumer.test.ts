import { createEvent, deadLetterSubject } from '@elcorp/contracts';
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
      handle: async (e, uow) => {
        await sql`INSERT INTO effects (event_id, n) VALUES (${e.id}, 1)
                  ON CONFLICT (event_id) DO UPDATE SET n = effects.n + 1`.execute(uow.trx);
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
    batchSize: 10,
    handle: async (e, uow) => {
      entered();
      await gate;
      await sql`INSERT INTO effects (event_id, n) VALUES (${e.id}, 1)`.execute(uow.trx);
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

t.test('a batch dies between its commit and its acks: every event is applied once', async (t) => {
  const h = await harness(t);
  const events = await h.commitEvents(30);
  await h.relay().drainOnce();
  // The whole first batch "crashes" after its COMMIT: none of its acks is sent.
  const crashed = new Set<string>();
  await h
    .consumer({
      batchSize: 10,
      afterCommit: (event) => {
        if (crashed.size < 10 && !crashed.has(event.id)) {
          crashed.add(event.id);
          throw new Error('killed before ack');
        }
      },
    })
    .start();
  const duplicates = await h.settled('duplicate', 10);
  await h.settled('applied', 20);
  t.same(new Set(duplicates.map((o) => (o.kind === 'duplicate' ? o.event.id : ''))), crashed, 'each crashed event came again and was recognised');
  everyOnce(t, events, await h.effects());
});

t.test('one failing event in a batch rolls back alone: its neighbours and their recorded events commit', async (t) => {
  const h = await harness(t);
  const events = await h.commitEvents(12);
  await h.relay().drainOnce();
  const poisoned = events[5]!.id;
  await h
    .consumer({
      batchSize: 12,
      maxDeliver: 2,
      handle: async (event, uow) => {
        await sql`INSERT INTO effects (event_id, n) VALUES (${event.id}, 1)`.execute(uow.trx);
        const userId = event.subject.id;
        uow.record(createEvent('identity.user.updated', { subject: { type: 'user', id: userId }, actor: null, data: { userId, changed: ['phone'] } }));
        if (event.id === poisoned) throw new Error('this one is broken');
      },
    })
    .start();
  const [dead] = await h.settled('dead_lettered', 1);
  const applied = await h.settled('applied', 11);
  t.match(dead, { reason: 'this one is broken' });
  t.notOk(applied.some((o) => o.kind === 'applied' && o.event.id === poisoned));
  const effects = await h.effects();
  t.equal(effects.size, 11, 'the neighbours kept their effects');
  t.notOk(effects.has(poisoned), 'the failed event left no effect');
  const inbox = await h.database.db.selectFrom('inbox').select('event_id').execute();
  t.equal(inbox.length, 11, 'nor an inbox row');
  const recorded = await h.database.db.selectFrom('outbox').select(['type', 'payload']).where('type', '=', 'identity.user.updated').execute();
  t.equal(recorded.length, 11, "the handlers' recorded events committed with their effects, the failed one's vanished");
  t.notOk(recorded.some((r) => (r.payload as { subject: { id: string } }).subject.id === events[5]!.subject.id));
});
