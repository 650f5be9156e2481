import { createEvent, eventSubject, streamName, type BrokerNames, type DomainEvent } from '@elcorp/contracts';
import { testConfig, testNatsPrefix } from '@elcorp/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { once, EventEmitter } from 'node:events';
import { pino } from 'pino';
import t from 'tap';
import type { Test } from 'tap';
import { ensureStreams, followEvents, followKeyWithdrawals } from '../src/index.js';

const withdrawal = (kids: string[]) =>
  createEvent('identity.signing_key.withdrawn', { subject: { type: 'signing_key', id: randomUUID() }, actor: null, data: { kids, current: randomUUID() } });

async function broker(t: Test) {
  const { prefix } = await testNatsPrefix(t);
  const names: BrokerNames = { root: prefix.toLowerCase() };
  const nc = await connect({ servers: testConfig.natsUrl });
  t.teardown(() => nc.drain());
  const js = jetstream(nc);
  const publish = (event: DomainEvent) => js.publish(eventSubject(names, event.type), JSON.stringify(event), { msgID: event.id });
  return { names, nc, jsm: await jetstreamManager(nc), publish, publishRaw: (type: string, body: string) => js.publish(eventSubject(names, type), body) };
}

/** Logs as lines the test can wait for. */
function recordingLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const written = new EventEmitter();
  const logger = pino({ level: 'warn' }, { write: (line: string) => (lines.push(JSON.parse(line)), written.emit('line')) });
  return { logger, lines, written };
}

t.test('each follower hears every event of its type: what was published shortly before it started, then what comes', async (t) => {
  const { names, nc, jsm, publish } = await broker(t);
  await ensureStreams(jsm, names, 8 * 1024 * 1024);
  const earlier = withdrawal([randomUUID()]);
  await publish(earlier);
  await publish(createEvent('identity.password.changed', { subject: { type: 'user', id: randomUUID() }, actor: null, data: { userId: randomUUID() } }));

  const heard: Array<[string, string]> = [];
  const arrived = new EventEmitter();
  const { logger } = recordingLogger();
  // Two replicas of one service: unlike a durable consumer's, each gets every event.
  for (const replica of ['a', 'b']) {
    const following = await followEvents({
      nats: nc,
      names,
      type: 'identity.signing_key.withdrawn',
      replayMs: 60_000,
      logger,
      onEvent: (event) => {
        heard.push([replica, event.data.kids[0]!]);
        arrived.emit('event');
      },
    });
    t.teardown(() => following.stop());
  }
  while (heard.length < 2) await once(arrived, 'event');
  t.same(heard.map(([, kid]) => kid), [earlier.data.kids[0], earlier.data.kids[0]], 'both heard the earlier withdrawal, and nothing of another type');

  const later = withdrawal([randomUUID(), randomUUID()]);
  await publish(later);
  while (heard.length < 4) await once(arrived, 'event');
  t.same(heard.slice(2).map(([replica, kid]) => `${replica}:${kid}`).sort(), [`a:${later.data.kids[0]}`, `b:${later.data.kids[0]}`].sort());
});

t.test('a replica that starts later does not hear what is older than its replay window', async (t) => {
  const { names, nc, jsm, publish } = await broker(t);
  await ensureStreams(jsm, names, 8 * 1024 * 1024);
  const { seq } = await publish(withdrawal([randomUUID()]));
  // The start time is read in milliseconds: start once the clock has left the stored event's.
  const storedAt = (await jsm.streams.getMessage(streamName(names, 'IDENTITY'), { seq }))!.time.getTime();
  while (Date.now() <= storedAt + 1) await new Promise(setImmediate);
  const heard: string[] = [];
  const arrived = new EventEmitter();
  const following = await followEvents({
    nats: nc,
    names,
    type: 'identity.signing_key.withdrawn',
    replayMs: 0,
    logger: recordingLogger().logger,
    onEvent: (event) => (heard.push(event.id), arrived.emit('event')),
  });
  t.teardown(() => following.stop());
  const fresh = withdrawal([randomUUID()]);
  await publish(fresh);
  while (heard.length === 0) await once(arrived, 'event');
  t.same(heard, [fresh.id], 'only the event published after it started');
});

t.test('a stream created after the follower started is found; bad messages and a failing handler are logged and skipped', async (t) => {
  const { names, nc, jsm, publish, publishRaw } = await broker(t);
  const { logger, lines, written } = recordingLogger();
  const kids: string[][] = [];
  const arrived = new EventEmitter();
  let failNext = true;
  await followKeyWithdrawals({
    infra: { nats: nc, defer: (stop) => t.teardown(stop) },
    names,
    logger,
    retryDelayMs: 50,
    keys: {
      withdraw(withdrawn) {
        if (failNext) {
          failNext = false;
          throw new Error('handler broke');
        }
        kids.push([...withdrawn]);
        arrived.emit('event');
      },
    },
  });
  t.match(lines, [{ msg: /stream not found yet/ }], 'no stream yet: said once, retried in the background');

  await ensureStreams(jsm, names, 8 * 1024 * 1024);
  await publishRaw('identity.signing_key.withdrawn', '{"not":"an event"}');
  await publish(withdrawal([randomUUID()]));
  const good = withdrawal([randomUUID(), randomUUID()]);
  await publish(good);
  while (kids.length === 0) await once(arrived, 'event');
  t.same(kids, [good.data.kids], 'the follower kept going past both');
  while (!lines.some((line) => /handling a followed event failed/.test(line.msg))) await once(written, 'line');
  t.ok(lines.some((line) => /not a valid event; skipped/.test(line.msg)), 'the malformed message is logged');
  t.ok(lines.some((line) => /identity withdrew signing keys/.test(line.msg) && line.level === 40), 'each withdrawal applied is a warn line');
});
