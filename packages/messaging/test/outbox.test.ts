import { createEvent } from '@elcorp/contracts';
import t from 'tap';
import { isEventOf, onOutboxCommit, unitOfWork } from '../src/index.js';
import { everyOnce, harness } from './harness.js';

t.test('committed events are published once each and applied once each', async (t) => {
  const h = await harness(t);
  const relay = h.relay();
  await relay.start();
  const events = await h.commitEvents(25);
  await h.consumer().start();
  await h.settled('applied', 25);
  everyOnce(t, events, await h.effects());
  t.equal(await h.streamMessages(`${h.names.root.toUpperCase()}_IDENTITY`), 25);
  // Consumers can apply an event before the relay has marked its batch: stopping the relay
  // waits for the drain in hand, whose transaction marks exactly the acknowledged rows.
  await relay.stop();
  t.same(await relay.backlog(), { count: 0, oldestAgeSeconds: 0 }, 'outbox drained');
});

t.test('events of a rolled-back transaction are never published', async (t) => {
  const h = await harness(t);
  await t.rejects(
    unitOfWork(h.database.db, h.names)(async ({ record }) => {
      const userId = crypto.randomUUID();
      record(createEvent('identity.user.updated', { subject: { type: 'user', id: userId }, actor: null, data: { userId, changed: ['phone'] } }));
      throw new Error('the state change failed');
    }),
  );
  t.equal(await h.relay().drainOnce(), 0);
  t.equal((await h.relay().backlog()).count, 0);
});

t.test('a crash after publish but before mark-sent publishes again and the broker drops the copy', async (t) => {
  const h = await harness(t);
  const events = await h.commitEvents(5);
  let crashes = 1;
  const crashing = h.relay({
    afterPublish: () => {
      if (crashes-- > 0) throw new Error('process killed after the publish ack');
    },
  });
  await t.rejects(crashing.drainOnce(), /process killed/);
  t.equal((await crashing.backlog()).count, 5, 'nothing was marked sent');
  t.equal(await crashing.drainOnce(), 5, 'the next run publishes all again');
  t.equal(await h.streamMessages(`${h.names.root.toUpperCase()}_IDENTITY`), 5, 'Nats-Msg-Id deduplicated the repeat');
  await h.consumer().start();
  await h.settled('applied', 5);
  everyOnce(t, events, await h.effects());
});

t.test('the relay wakes on commit without waiting for its poll', async (t) => {
  const h = await harness(t);
  // A poll far longer than the test: only the wake after the commit can trigger the publish.
  const relay = h.relay({ pollIntervalMs: 600_000 });
  await relay.start();
  await h.consumer().start();
  // The relay's first drain runs at start and finds nothing; these commit after it sleeps.
  t.equal((await relay.backlog()).count, 0);
  const events = await h.commitEvents(3);
  await h.settled('applied', 3);
  everyOnce(t, events, await h.effects());
});

t.test('commits that follow a drain closely are gathered into one drain', async (t) => {
  const h = await harness(t);
  // The longest floor the relay takes: the commits below land well inside it.
  const relay = h.relay({ pollIntervalMs: 600_000, drainIntervalMsMin: 1_000 });
  let drains = 0;
  const drainOnce = relay.drainOnce.bind(relay);
  relay.drainOnce = () => {
    drains += 1;
    return drainOnce();
  };
  await relay.start();
  await h.consumer().start();
  const first = await h.commitEvents(1);
  await h.settled('applied', 1);
  const drainsAfterFirst = drains;
  // Three separate commits, each waking the relay, shortly after the drain that published the first.
  const rest = [...(await h.commitEvents(1)), ...(await h.commitEvents(1)), ...(await h.commitEvents(1))];
  await h.settled('applied', 4);
  everyOnce(t, [...first, ...rest], await h.effects());
  t.equal(drains - drainsAfterFirst, 1, 'one drain published all three');
});

t.test('events a consumer records in its batch are published without waiting for the poll', async (t) => {
  const h = await harness(t);
  const relay = h.relay({ pollIntervalMs: 600_000 });
  await relay.start();
  // Each registration handled records a follow-up event, which the same consumer then applies.
  const followUps = new Set<string>();
  await h
    .consumer({
      handle: async (event, uow) => {
        if (!isEventOf(event, 'identity.user.registered') || event.data.email.startsWith('again')) return;
        const followUp = createEvent('identity.user.registered', { subject: event.subject, actor: null, data: { ...event.data, email: `again-${event.data.email}` } });
        followUps.add(followUp.id);
        uow.record(followUp);
      },
    })
    .start();
  await h.commitEvents(2);
  await h.settled('applied', 4);
  t.equal(followUps.size, 2);
  t.equal(await h.streamMessages(`${h.names.root.toUpperCase()}_IDENTITY`), 4, 'both follow-ups published by the wake after the batch commit');
});

t.test('only a committed unit of work that wrote events wakes the relay', async (t) => {
  const h = await harness(t);
  let wakes = 0;
  t.teardown(onOutboxCommit(h.database.db, () => wakes++));
  const run = unitOfWork(h.database.db, h.names);
  const userId = crypto.randomUUID();
  const updated = () => createEvent('identity.user.updated', { subject: { type: 'user', id: userId }, actor: null, data: { userId, changed: ['phone'] } });
  await t.rejects(
    run(async ({ record }) => {
      record(updated());
      throw new Error('the state change failed');
    }),
  );
  t.equal(wakes, 0, 'a rollback does not wake');
  await run(async () => undefined);
  t.equal(wakes, 0, 'nor a commit without events');
  await run(async ({ record }) => record(updated()));
  t.equal(wakes, 1, 'a commit with events wakes once');
});

t.test('two relays and two consumer instances: every event in effect exactly once', async (t) => {
  const h = await harness(t);
  const events = await h.commitEvents(200);
  const relays = [h.relay({ batchSize: 20 }), h.relay({ batchSize: 20 })];
  const consumers = [h.consumer({ batchSize: 8 }), h.consumer({ batchSize: 8 })];
  await Promise.all([...relays.map((r) => r.start()), ...consumers.map((c) => c.start())]);
  const settled = await h.settled('applied', 200);
  everyOnce(t, events, await h.effects());
  t.equal(settled.length, 200, 'no event was handled twice');
  t.equal(await h.streamMessages(`${h.names.root.toUpperCase()}_IDENTITY`), 200);
});

t.test('sent rows are pruned after their retention', async (t) => {
  const h = await harness(t);
  await h.commitEvents(3);
  const relay = h.relay({ sentRetentionMs: 0 });
  t.equal(await relay.drainOnce(), 3);
  t.ok((await relay.prune()) >= 3);
  const rows = await h.database.db.selectFrom('outbox').select('id').execute();
  t.equal(rows.length, 0);
});
