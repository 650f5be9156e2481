import { buildApp } from '@elcorp/kit';
import { sql } from '@elcorp/db';
import t from 'tap';
import { startMessaging, type SettledOutcome } from '../src/index.js';
import { harness, silent, type TestTables } from './harness.js';

t.test('startMessaging wires relay and consumers, and /metrics shows what an SRE watches', async (t) => {
  const h = await harness(t);
  const app = await buildApp({ service: 'metrics-test', logger: silent });
  t.teardown(() => app.close());
  const settled: SettledOutcome[] = [];
  let wake: () => void = () => {};
  let failOnce = true;
  const runtime = await startMessaging<TestTables>({
    nats: h.nc,
    database: h.database,
    schema: h.schema,
    names: h.names,
    streamMaxBytes: 8 * 1024 * 1024,
    logger: silent,
    registry: app.metrics,
    consumers: [
      {
        stream: `${h.names.root.toUpperCase()}_IDENTITY`,
        durable: 'metrics-effects',
        types: ['identity.user.registered', 'identity.user.updated'],
        retryDelayMs: () => 10,
        handle: async (event, trx) => {
          if (failOnce) {
            failOnce = false;
            throw new Error('transient');
          }
          await sql`INSERT INTO effects (event_id, n) VALUES (${event.id}, 1)`.execute(trx);
        },
        onSettled: (outcome) => {
          settled.push(outcome);
          wake();
        },
      },
    ],
  });
  t.teardown(() => runtime.stop());

  await h.js.publish(`${h.names.root}.identity.user.updated`, 'garbage');
  await h.commitEvents(4);
  while (settled.length < 5) await new Promise<void>((resolve) => (wake = resolve));

  const text = (await app.inject({ url: '/metrics' })).body;
  const stream = `${h.names.root.toUpperCase()}_IDENTITY`;
  t.match(text, new RegExp(`elcorp_outbox_published_total\\{stream="${stream}",service="metrics-test"\\} 4`));
  t.match(text, /elcorp_outbox_backlog\{service="metrics-test"\} 0/);
  t.match(text, /elcorp_outbox_oldest_age_seconds\{service="metrics-test"\} 0/);
  t.match(text, /elcorp_outbox_publish_failures_total\{service="metrics-test"\} 0/);
  t.match(text, /elcorp_consumer_processed_total\{consumer="metrics-effects",outcome="applied",service="metrics-test"\} 4/);
  t.match(text, /elcorp_consumer_redeliveries_total\{consumer="metrics-effects",service="metrics-test"\} 1/);
  t.match(text, /elcorp_consumer_dead_letters_total\{consumer="metrics-effects",reason="invalid",service="metrics-test"\} 1/);
  t.match(text, /elcorp_consumer_lag\{consumer="metrics-effects",service="metrics-test"\} 0/);
});

t.test('a backlog shows while nothing publishes it', async (t) => {
  const h = await harness(t);
  const relay = h.relay();
  await h.commitEvents(2);
  const backlog = await relay.backlog();
  t.equal(backlog.count, 2);
  t.ok(backlog.oldestAgeSeconds >= 0);
});
