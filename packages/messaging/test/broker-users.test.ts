// The production broker's users, as compose starts it: a real nats-server loads
// infra/nats/nats.conf itself (only the ports and the store directory come from the command
// line), with the passwords in its environment. What each user may do is tried with the
// very calls the services make; e2e's broker-users test runs the whole fleet on it.
import { defaultStreamAges, streamDefinitions, type BrokerNames } from '@elcorp/contracts';
import { brokerUsers, productionBrokerConfig, runOperatorCli, startProductionBroker, type BrokerUser, type ProductionBroker } from '@elcorp/testing';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { readFile } from 'node:fs/promises';
import t, { type Test } from 'tap';
import { ensureStreams } from '../src/index.js';

const services = brokerUsers.filter((user) => user !== 'gateway' && user !== 'operator');
// The permissions name the production root and its streams.
const names: BrokerNames = { root: 'elcorp' };

async function connectAs(t: Test, { server, passwords }: ProductionBroker, user: BrokerUser): Promise<NatsConnection> {
  const nc = await connect({ servers: server.url, user, pass: passwords[user], name: `test-${user}` });
  t.teardown(() => nc.close());
  return nc;
}

/** A JetStream publish of one small message; the error's message, or 'acknowledged'. */
async function publishOutcome(nc: NatsConnection, subject: string): Promise<string> {
  try {
    await jetstream(nc, { timeout: 2_000 }).publish(subject, '{}');
    return 'acknowledged';
  } catch (err) {
    return (err as Error).message;
  }
}

const broker = await startProductionBroker(t);
const { server } = broker;
// Streams and the bundle's bucket as the fleet makes them, by a service's user: no operator
// has to prepare the broker before the services start.
const identity = await connectAs(t, broker, 'identity');
await ensureStreams(await jetstreamManager(identity), names, 8 * 1024 * 1024);
await (await jetstreamManager(await connectAs(t, broker, 'operator'))).streams.add({ name: 'KV_ELCORP_AUTHZ', subjects: ['$KV.ELCORP_AUTHZ.>'], max_bytes: 1024 * 1024 });

t.test('nobody connects without a user of the file, or with a wrong password', async (t) => {
  await t.rejects(connect({ servers: server.url, timeout: 2_000 }), /authorization/i, 'anonymous');
  await t.rejects(connect({ servers: server.url, user: 'identity', pass: 'not-the-password', timeout: 2_000 }), /authorization/i, 'a wrong password');
  await t.rejects(connect({ servers: server.url, user: 'mallory', pass: broker.passwords.operator, timeout: 2_000 }), /authorization/i, 'an unknown user');
});

t.test("each service publishes its own context's events and none of another's; the gateway none", async (t) => {
  for (const publisher of [...services, 'gateway'] as const) {
    const nc = await connectAs(t, broker, publisher);
    for (const source of services) {
      const outcome = await publishOutcome(nc, `elcorp.${source}.test.forged`);
      if (publisher === source) t.equal(outcome, 'acknowledged', `${publisher} publishes elcorp.${source}.…`);
      else t.match(outcome, /permissions violation/i, `${publisher} may not publish elcorp.${source}.…`);
    }
  }
  // The forgery that would log everyone out (every service and the gateway follow it).
  const payments = await connectAs(t, broker, 'payments');
  t.match(await publishOutcome(payments, 'elcorp.identity.signing_key.withdrawn'), /permissions violation/i);
});

t.test('every consumer may dead-letter; a plain subject outside the catalogue is nobody’s', async (t) => {
  for (const user of [...services, 'gateway'] as const) {
    const nc = await connectAs(t, broker, user);
    t.equal(await publishOutcome(nc, `elcorp.dlq.${user}-test`), 'acknowledged', `${user} dead-letters`);
    t.match(await publishOutcome(nc, 'elcorp.anything.else'), /permissions violation/i, `${user} may not publish outside its lists`);
  }
});

t.test("the operators' dead-letter command signs in as operator; without the user it is refused", async (t) => {
  const env = { NATS_URL: server.url, EVENT_SUBJECT_ROOT: names.root };
  const listed = await runOperatorCli(['dlq', 'list', '--json'], { ...env, NATS_USER: 'operator', NATS_PASSWORD: broker.passwords.operator });
  t.equal(listed.status, 0, 'lists as operator', { stderr: listed.stderr });
  t.match(listed.stdout, /gateway-test/, 'the dead letters the users above published');
  const anonymous = await runOperatorCli(['dlq', 'list'], env);
  t.not(anonymous.status, 0, 'refused without a user');
  t.match(anonymous.stderr, /authorization/i);
  const halfSet = await runOperatorCli(['dlq', 'list'], { ...env, NATS_USER: 'operator' });
  t.not(halfSet.status, 0);
  t.match(halfSet.stderr, /NATS_PASSWORD: NATS_USER and NATS_PASSWORD are set together/, 'a user without its password is named');
});

t.test('only governance writes the policy bundle; no service deletes a stream, a consumer or a message', async (t) => {
  for (const user of [...services, 'gateway'] as const) {
    const nc = await connectAs(t, broker, user);
    const outcome = await publishOutcome(nc, '$KV.ELCORP_AUTHZ.bundle');
    if (user === 'governance') t.equal(outcome, 'acknowledged', 'governance publishes bundles');
    else t.match(outcome, /permissions violation/i, `${user} may not write the bundle`);

    const jsm = await jetstreamManager(nc, { timeout: 2_000 });
    await t.rejects(jsm.streams.delete('ELCORP_IDENTITY'), /permissions violation/i, `${user} may not delete a stream`);
    await t.rejects(jsm.streams.purge('ELCORP_PAYMENTS'), /permissions violation/i, `${user} may not purge a stream`);
    await t.rejects(jsm.streams.deleteMessage('ELCORP_IDENTITY', 1), /permissions violation/i, `${user} may not delete a message`);
    await t.rejects(jsm.consumers.delete('ELCORP_IDENTITY', 'gateway-revocations'), /permissions violation/i, `${user} may not delete a consumer`);
    // A history of one and a short age would drop the bundle in force: new replicas would find none.
    await t.rejects(jsm.streams.update('KV_ELCORP_AUTHZ', { max_age: 1_000_000_000 }), /permissions violation/i, `${user} may not reshape the bundle's bucket`);
  }
  const identityStream = await (await jetstreamManager(identity)).streams.info('ELCORP_IDENTITY');
  t.equal(identityStream.state.messages, 1, "identity's stream still holds what identity published");
});

/** The subjects of one user's `allow` or `deny` list in the file. */
function listOf(text: string, user: string, list: 'allow' | 'deny'): string[] {
  const block = new RegExp(`user: ${user}, password: \\$NATS_${user.toUpperCase()}_PASSWORD[\\s\\S]*?subscribe:`).exec(text)?.[0] ?? '';
  const items = new RegExp(`${list}: \\[([\\s\\S]*?)\\]`).exec(block)?.[1] ?? '';
  return [...items.matchAll(/"([^"]+)"/g)].map((match) => match[1]!);
}

/** A durable's name in a subject of the file: `<stream>.<service>-<…>`. */
const durableIn = (subject: string) => /\.(ELCORP_[A-Z]+)\.([a-z]+-[a-z-]+)(\.|$)/.exec(subject);

t.test("the services' lists are the same JetStream runtime lines, then their own durables and events", async (t) => {
  // NATS cannot join lists held in variables, so the file repeats them: they must not drift.
  const text = await readFile(productionBrokerConfig, 'utf8');
  const allowOf = (user: string) => listOf(text, user, 'allow');
  const ownEvents = (user: string) => allowOf(user).filter((subject) => subject.startsWith(`elcorp.${user}.`) || subject.startsWith('$KV.'));
  const ownStream = (user: string) => allowOf(user).filter((subject) => subject.startsWith('$JS.API.STREAM.UPDATE.'));
  const ownDurables = (user: string) => allowOf(user).filter((subject) => durableIn(subject)?.[2]?.startsWith(`${user}-`));
  const runtime = (user: string) => allowOf(user).filter((subject) => ![...ownEvents(user), ...ownStream(user), ...ownDurables(user)].includes(subject));
  t.ok(runtime('identity').length > 10, 'the runtime lines are found');
  for (const service of services) {
    t.same(runtime(service), runtime('identity'), `${service}: the runtime lines`);
    t.same(ownEvents(service), service === 'governance' ? ['elcorp.governance.>', '$KV.ELCORP_AUTHZ.>'] : [`elcorp.${service}.>`], `${service}: its own events`);
    t.ok(ownDurables(service).length > 0, `${service}: its durables`);
    const updates = [`$JS.API.STREAM.UPDATE.ELCORP_${service.toUpperCase()}`, ...(service === 'compliance' ? ['$JS.API.STREAM.UPDATE.ELCORP_DLQ'] : [])];
    t.same(ownStream(service), updates, `${service}: updates its own stream and no other context's${service === 'compliance' ? ', and the DLQ' : ''}`);
  }
  for (const stream of streamDefinitions(names)) {
    t.ok(runtime('identity').includes(`$JS.API.STREAM.CREATE.${stream.name}`), `the services may make ${stream.name}`);
  }

  // Everyone may pull from an ordered consumer of identity's stream, named at random (the key
  // withdrawals' followers), so each user's deny list must name every other user's durable there.
  const identityDurables = new Set(
    [...services, 'gateway'].flatMap((user) => allowOf(user).map((subject) => durableIn(subject)).filter((found) => found?.[1] === 'ELCORP_IDENTITY').map((found) => found![2]!)),
  );
  t.ok(identityDurables.size >= 5, `the durables on identity's stream are found: ${[...identityDurables].join(', ')}`);
  for (const user of [...services, 'gateway']) {
    const others = [...identityDurables].filter((durable) => !durable.startsWith(`${user}-`));
    const expected = others.flatMap((durable) => [`$JS.API.CONSUMER.CREATE.ELCORP_IDENTITY.${durable}.>`, `$JS.API.CONSUMER.MSG.NEXT.ELCORP_IDENTITY.${durable}`]);
    t.same(listOf(text, user, 'deny').sort(), expected.sort(), `${user} is denied every other user's durable on identity's stream`);
  }
});

t.test("only a context's own service reshapes its stream; the others' start leaves it as it is", async (t) => {
  const payments = await connectAs(t, broker, 'payments');
  const paymentsJsm = await jetstreamManager(payments, { timeout: 2_000 });
  const before = (await paymentsJsm.streams.info('ELCORP_IDENTITY')).config;
  await t.rejects(paymentsJsm.streams.update('ELCORP_IDENTITY', { max_msgs: 1 }), /permissions violation/i, "payments may not cap identity's stream to one event");
  await t.rejects(paymentsJsm.streams.update('ELCORP_IDENTITY', { max_age: 1_000_000_000 }), /permissions violation/i, 'nor age its events out in a second');
  await t.rejects(paymentsJsm.streams.update('ELCORP_DLQ', { max_age: 1_000_000_000 }), /permissions violation/i, 'nor its own dead letters');

  // Identity keeps its events a day longer than the definitions the others start with: payments'
  // start makes nothing fail and changes nothing there; its own stream it does bring up to date.
  const longer = { eventMaxAgeMs: defaultStreamAges.eventMaxAgeMs + 86_400_000, deadLetterMaxAgeMs: defaultStreamAges.deadLetterMaxAgeMs };
  await ensureStreams(await jetstreamManager(identity), names, 8 * 1024 * 1024, longer);
  const identityAge = (await paymentsJsm.streams.info('ELCORP_IDENTITY')).config.max_age;
  t.equal(identityAge, longer.eventMaxAgeMs * 1e6, 'identity updates its own stream');
  const leftToOwner: string[] = [];
  t.same(await ensureStreams(paymentsJsm, names, 4 * 1024 * 1024, undefined, (stream) => leftToOwner.push(stream)), streamDefinitions(names).map((stream) => stream.name), "payments' start passes");
  t.same(leftToOwner, ['ELCORP_IDENTITY', 'ELCORP_GOVERNANCE', 'ELCORP_COMPLIANCE', 'ELCORP_DLQ'], 'and says which streams it left to their owners');
  const after = (await paymentsJsm.streams.info('ELCORP_IDENTITY')).config;
  t.same([after.max_age, after.max_bytes, after.max_msgs], [identityAge, 8 * 1024 * 1024, before.max_msgs], "and leaves identity's stream as identity made it");
  t.equal((await paymentsJsm.streams.info('ELCORP_PAYMENTS')).config.max_bytes, 4 * 1024 * 1024, 'while its own takes its definition');
});

/** The answer to a request (a JetStream API call, an acknowledgement), or the error's message. */
async function answer(nc: NatsConnection, subject: string, body: string): Promise<string> {
  try {
    const reply = await nc.request(subject, body, { timeout: 2_000 });
    return reply.headers?.get('Status') || reply.string() || 'answered';
  } catch (err) {
    return (err as Error).message;
  }
}

t.test("a service pulls, acknowledges and reshapes only its own durables: nobody can drain another's events", async (t) => {
  const compliance = await connectAs(t, broker, 'compliance');
  const payments = await connectAs(t, broker, 'payments');
  const complianceJsm = await jetstreamManager(compliance, { timeout: 2_000 });
  // The audit's durable on identity's stream, as compliance makes it, and one event for it.
  const audit = 'compliance-audit-identity';
  const pullOne = JSON.stringify({ batch: 1, no_wait: true });
  await complianceJsm.consumers.add('ELCORP_IDENTITY', { durable_name: audit, ack_policy: AckPolicy.Explicit, filter_subject: 'elcorp.identity.>' });
  await jetstream(identity).publish('elcorp.identity.test.audited', '{}');
  const pendingBefore = (await complianceJsm.consumers.info('ELCORP_IDENTITY', audit)).num_pending;
  t.ok(pendingBefore > 0, 'the event waits for the audit');

  t.match(await answer(payments, `$JS.API.CONSUMER.MSG.NEXT.ELCORP_IDENTITY.${audit}`, pullOne), /permissions violation/i, "payments may not pull the audit's events");
  t.match(await answer(payments, `$JS.ACK.ELCORP_IDENTITY.${audit}.1.1.1.1.0`, '+ACK'), /permissions violation/i, "payments may not acknowledge them");
  await t.rejects(
    (await jetstreamManager(payments, { timeout: 2_000 })).consumers.add('ELCORP_IDENTITY', { durable_name: audit, ack_policy: AckPolicy.Explicit, filter_subject: 'elcorp.identity.signing_key.withdrawn' }),
    /permissions violation/i,
    'payments may not narrow the audit to one type',
  );
  const gateway = await connectAs(t, broker, 'gateway');
  t.match(await answer(gateway, `$JS.API.CONSUMER.MSG.NEXT.ELCORP_IDENTITY.${audit}`, pullOne), /permissions violation/i, 'nor may the gateway pull them');
  const after = await complianceJsm.consumers.info('ELCORP_IDENTITY', audit);
  t.equal(after.num_pending, pendingBefore, "the audit's events are all still there");
  t.equal(after.config.filter_subject, 'elcorp.identity.>', 'under its own filter');

  // What payments does run: its own durable, pulled and acknowledged, and the key withdrawals'
  // follower (an ordered consumer).
  const own = 'payments-identity-user-registered';
  await (await jetstreamManager(payments, { timeout: 2_000 })).consumers.add('ELCORP_IDENTITY', { durable_name: own, ack_policy: AckPolicy.Explicit, filter_subject: 'elcorp.identity.user.registered' });
  const mine = await jetstream(payments).consumers.get('ELCORP_IDENTITY', own);
  await jetstream(identity).publish('elcorp.identity.user.registered', '{}');
  const [message] = await collect(await mine.fetch({ max_messages: 1, expires: 2_000 }));
  t.ok(message, 'payments pulls its own durable');
  t.equal(await message!.ackAck(), true, 'and acknowledges it');
  const follower = await jetstream(payments).consumers.get('ELCORP_IDENTITY', { filter_subjects: 'elcorp.identity.signing_key.withdrawn' });
  t.same(await collect(await follower.fetch({ max_messages: 1, expires: 1_000 })), [], 'and follows the key withdrawals');
});

async function collect<T>(messages: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const message of messages) all.push(message);
  return all;
}
