import { startNatsServer } from '@elcorp/testing';
import t from 'tap';
import { everyOnce, harness } from './harness.js';

// The test runs its own nats-server so it can stop the broker; the machine's is never touched.
t.test('with NATS down, writes still commit and every event arrives once NATS is back', async (t) => {
  const broker = await startNatsServer(t);
  const h = await harness(t, broker.url);
  const relay = h.relay({ publishTimeoutMs: 300, maxBackoffMs: 200, pollIntervalMs: 100 });
  await relay.start();
  await h.consumer().start();
  const before = await h.commitEvents(3);
  await h.settled('applied', 3);

  await broker.stop();
  const during = await h.commitEvents(10);
  t.equal(during.length, 10, 'requests keep committing while the broker is away');
  t.ok((await relay.backlog()).count >= 1, 'the outbox holds the backlog');

  await broker.start();
  await h.settled('applied', 13);
  everyOnce(t, [...before, ...during], await h.effects());
  t.equal((await relay.backlog()).count, 0, 'the backlog drained');
});
