// The production broker's users, as compose starts it: a real nats-server loads
// infra/nats/nats.conf itself (only the ports and the store directory come from the command
// line), with the passwords in its environment. What each user may do is tried with the
// very calls the services make; e2e's broker-users test runs the whole fleet on it.
import { streamDefinitions, type BrokerNames } from '@elcorp/contracts';
import { brokerUsers, productionBrokerConfig, runOperatorCli, startProductionBroker, type BrokerUser, type ProductionBroker } from '@elcorp/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
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
  }
  const identityStream = await (await jetstreamManager(identity)).streams.info('ELCORP_IDENTITY');
  t.equal(identityStream.state.messages, 1, "identity's stream still holds what identity published");
});

t.test("the services' lists are the same JetStream runtime lines, then their own events", async (t) => {
  // NATS cannot join lists held in variables, so the file repeats them: they must not drift.
  const text = await readFile(productionBrokerConfig, 'utf8');
  const allowOf = (user: string) => {
    const block = new RegExp(`user: ${user}, password: \\$NATS_${user.toUpperCase()}_PASSWORD[\\s\\S]*?allow: \\[([\\s\\S]*?)\\]`).exec(text);
    return [...(block?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((match) => match[1]!);
  };
  const own = (user: string) => allowOf(user).filter((subject) => subject.startsWith(`elcorp.${user}.`) || subject.startsWith('$KV.'));
  const runtime = (user: string) => allowOf(user).filter((subject) => !own(user).includes(subject));
  t.ok(runtime('identity').length > 10, 'the runtime lines are found');
  for (const service of services) {
    t.same(runtime(service), runtime('identity'), `${service}: the runtime lines`);
    t.same(own(service), service === 'governance' ? ['elcorp.governance.>', '$KV.ELCORP_AUTHZ.>'] : [`elcorp.${service}.>`], `${service}: its own events`);
  }
  for (const stream of streamDefinitions(names)) {
    t.ok(runtime('identity').includes(`$JS.API.STREAM.CREATE.${stream.name}`), `the services may make ${stream.name}`);
  }
});
