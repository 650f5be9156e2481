import { defaultStreamAges, hoursToMs, inboxRetentionMsFor, streamName } from '@elcorp/contracts';
import { baseConfigShape, loadConfig } from '@elcorp/kit';
import { testNatsPrefix } from '@elcorp/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import t from 'tap';
import { ensureStreams } from '../src/streams.js';

const nanosPerHour = 3_600 * 1e9;

t.test('every stream gets the configured bounded age, when it is made and when it already exists', async (t) => {
  const { prefix, url } = await testNatsPrefix(t);
  const names = { root: prefix.toLowerCase() };
  const nc = await connect({ servers: url });
  t.teardown(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const ageOf = async (suffix: string) => (await jsm.streams.info(streamName(names, suffix))).config.max_age / nanosPerHour;

  const defaults = loadConfig(baseConfigShape, {});
  t.same([defaults.EVENT_STREAM_MAX_AGE_HOURS, defaults.EVENT_DLQ_MAX_AGE_HOURS], [168, 336], 'a week for events, two for dead letters');
  const made = await ensureStreams(jsm, names, 8 * 1024 * 1024);
  t.equal(made.length, 5, 'four contexts and the DLQ');
  t.equal(await ageOf('PAYMENTS'), 168, 'a new stream: 7 days by default');
  t.equal(await ageOf('DLQ'), 336, 'a new DLQ: 14 days by default');

  const configured = loadConfig(baseConfigShape, { EVENT_STREAM_MAX_AGE_HOURS: '48', EVENT_DLQ_MAX_AGE_HOURS: '72' });
  const ages = { eventMaxAgeMs: hoursToMs(configured.EVENT_STREAM_MAX_AGE_HOURS), deadLetterMaxAgeMs: hoursToMs(configured.EVENT_DLQ_MAX_AGE_HOURS) };
  await ensureStreams(jsm, names, 8 * 1024 * 1024, ages);
  for (const suffix of ['IDENTITY', 'PAYMENTS', 'GOVERNANCE', 'COMPLIANCE']) t.equal(await ageOf(suffix), 48, `the existing ${suffix} stream is updated`);
  t.equal(await ageOf('DLQ'), 72, 'the existing DLQ is updated');

  t.throws(() => loadConfig(baseConfigShape, { EVENT_STREAM_MAX_AGE_HOURS: '0' }), /EVENT_STREAM_MAX_AGE_HOURS/, 'an unbounded or zero age is refused');
});

t.test('an inbox remembers an event id as long as the event can come back', async (t) => {
  const ages = { eventMaxAgeMs: hoursToMs(48), deadLetterMaxAgeMs: hoursToMs(72) };
  t.ok(inboxRetentionMsFor(ages) > ages.eventMaxAgeMs + ages.deadLetterMaxAgeMs, 'redelivered to the end of the stream age, then replayed to the end of the DLQ age');
  t.equal(inboxRetentionMsFor(defaultStreamAges), hoursToMs(168 + 336 + 24));
});
