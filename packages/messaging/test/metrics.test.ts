import { buildApp } from '@elcorp/kit';
import { sql } from '@elcorp/db';
import t from 'tap';
import { settled } from '@elcorp/testing';
import { on, startMessaging } from '../src/index.js';
import { harness, silent, type TestTables } from './harness.js';

t.test('startMessaging wires relay and consumers, and /metrics shows what an SRE watches', async (t) => {
  const h = await harness(t);
  const app = await buildApp({ service: 'metrics-test', logger: silent });
  t.teardown(() => app.close());
  let failOnce = true;
  const runtime = await startMessaging<TestTables>({
    service: 'metrics',
    nats: h.nc,
    database: h.database,
    schema: h.schema,
    names: h.names,
    streamMaxBytes: 8 * 1024 * 1024,
    logger: silent,
    registry: app.metrics,
    consumer: { retryDelayMs: () => 10 },
    subscriptions: [
      on('identity.user.registered', async (event, uow) => {
        if (failOnce) {
          failOnce = false;
          throw new Error('transient');
        }
        await sql`INSERT INTO effects (event_id, n) VALUES (${event.id}, 1)`.execute(uow.trx);
      }),
      on('identity.user.updated', async () => undefined),
    ],
  });
  t.teardown(() => runtime.stop());

  const all = settled(runtime, () => true, { count: 5 });
  await h.js.publish(`${h.names.root}.identity.user.updated`, 'garbage');
  await h.commitEvents(4);
  await all;

  const text = (await app.inject({ url: '/metrics' })).body;
  const stream = `${h.names.root.toUpperCase()}_IDENTITY`;
  t.match(text, new RegExp(`elcorp_outbox_published_total\\{stream="${stream}",service="metrics-test"\\} 4`));
  t.match(text, /elcorp_outbox_backlog\{service="metrics-test"\} 0/);
  t.match(text, /elcorp_outbox_oldest_age_seconds\{service="metrics-test"\} 0/);
  t.match(text, /elcorp_outbox_publish_failures_total\{service="metrics-test"\} 0/);
  t.match(text, /elcorp_consumer_processed_total\{consumer="metrics-identity-user-registered",outcome="applied",service="metrics-test"\} 4/);
  t.match(text, /elcorp_consumer_redeliveries_total\{consumer="metrics-identity-user-registered",service="metrics-test"\} 1/);
  t.match(text, /elcorp_consumer_dead_letters_total\{consumer="metrics-identity-user-updated",reason="invalid",service="metrics-test"\} 1/);
  t.match(text, /elcorp_consumer_lag\{consumer="metrics-identity-user-registered",service="metrics-test"\} 0/);
});

t.test('a backlog shows while nothing publishes it', async (t) => {
  const h = await harness(t);
  const relay = h.relay();
  await h.commitEvents(2);
  const backlog = await relay.backlog();
  t.equal(backlog.count, 2);
  t.ok(backlog.oldestAgeSeconds >= 0);
});
