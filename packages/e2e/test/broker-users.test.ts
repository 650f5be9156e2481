// The fleet on the production broker's users (infra/nats/nats.conf, as compose runs it) and on
// compose's Redis users: each service connects as its own user, as compose gives it NATS_USER,
// NATS_PASSWORD and REDIS_URL, and every event and key a journey makes crosses between them. A
// permission the files forgot shows up as a violation in the broker's log, an event nobody
// consumed, a dead letter or a failed request; messaging's broker-users test and compose's
// Redis test show what the users may not do.
import { ElcorpClient, MemoryDeviceKeyStore, MemoryTokenStore } from '@elcorp/sdk';
import { startProductionBroker, startRedisServer, testSchema } from '@elcorp/testing';
import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import { nadAccountOf, password, signedInAdmin } from './admin.js';
import { loadCompose, redisArguments } from './compose.js';
import { freePortBase, services, startFleet, stopDeadlineMs, waitUntilReady } from './fleet-harness.js';

interface ConsumerDetail {
  name: string;
  num_pending: number;
  num_ack_pending: number;
}
interface StreamDetail {
  name: string;
  state: { messages: number };
  consumer_detail?: ConsumerDetail[];
}

/** JetStream's streams and consumers as the server's monitoring endpoint reports them. */
async function streams(monitorUrl: string): Promise<StreamDetail[]> {
  const jsz = (await (await fetch(`${monitorUrl}/jsz?accounts=true&streams=true&consumers=true`)).json()) as {
    account_details?: Array<{ stream_detail?: StreamDetail[] }>;
  };
  return (jsz.account_details ?? []).flatMap((account) => account.stream_detail ?? []);
}

// Consumers catch up on their own schedule in other processes; the test asks, bounded.
const drainDeadlineMs = 30_000;

t.test('every event and key of a journey crosses between the services’ own users, and nothing is refused', async (t) => {
  const broker = await startProductionBroker(t);
  const base = await freePortBase(t);
  const gateway = `http://127.0.0.1:${base}`;
  const redisPasswords = Object.fromEntries(services.map((service) => [service, `${service}-${process.pid}-${Date.now()}`]));
  const redisShell = Object.fromEntries(services.map((service) => [`REDIS_${service.toUpperCase()}_PASSWORD`, redisPasswords[service]!]));
  const redis = await startRedisServer(t, redisArguments(await loadCompose(), redisShell));
  // The users are the production root's and prefix's; so this fleet's databases are its own,
  // or another fleet's relay could publish its outbox rows to the machine's broker.
  const perService: Record<string, string> = {};
  for (const service of services) {
    const prefix = `${service.toUpperCase()}__`;
    perService[`${prefix}NATS_USER`] = service;
    perService[`${prefix}NATS_PASSWORD`] = broker.passwords[service];
    perService[`${prefix}REDIS_URL`] = `redis://${service}:${redisPasswords[service]}@127.0.0.1:${redis.port}`;
    if (service === 'gateway') continue;
    const slice = await testSchema(t, service);
    perService[`${prefix}DATABASE_URL`] = slice.url;
    perService[`${prefix}DATABASE_SCHEMA`] = slice.schema;
  }
  const fleet = startFleet(t, {
    ...perService,
    NATS_URL: broker.server.url,
    EVENT_SUBJECT_ROOT: 'elcorp',
    EVENT_STREAM_MAX_BYTES: String(8 * 1024 * 1024),
    // The prefix compose's Redis users are confined to.
    REDIS_KEY_PREFIX: 'elcorp:',
    FLEET_PORT_BASE: String(base),
    PUBLIC_BASE_URL: gateway,
    NOTIFICATIONS_DIR: t.testdir({}),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_IP_PER_MINUTE: '1000',
  });
  const { exitedEarly } = await waitUntilReady(fleet);
  t.notOk(exitedEarly, 'the fleet is up on the production users', { output: fleet.output() });

  const tag = `${Date.now()}-${process.pid}`;
  // identity → payments: the new user's account.
  const deviceKeys = new MemoryDeviceKeyStore();
  const tokens = new MemoryTokenStore();
  const customer = new ElcorpClient({ baseUrl: gateway, deviceKeyStore: deviceKeys, tokenStore: tokens });
  const email = `broker-users-${tag}@example.na`;
  await customer.register({ email, password, fullName: 'Ndapewa Shikongo', phone: '+264811234567', agreedTerms: true });
  await customer.login({ email, password, deviceName: 'e2e' });
  const account = await nadAccountOf(customer);
  t.match(account, { balance: '0.00' }, "payments heard identity's user.registered");
  // governance → identity: the grant reaches the token.
  const admin = await signedInAdmin(gateway, `broker-users-admin-${tag}@example.na`, { ...perService, EVENT_SUBJECT_ROOT: 'elcorp' });
  t.ok((await admin.me()).roles.includes('admin'), "identity heard governance's role.granted");
  // payments → compliance: a posted transfer.
  const deposit = await admin.payments.deposit({ accountId: account.id, amount: '10.00', currency: 'NAD', reference: 'broker users' });
  t.match(deposit.result, { status: 'posted' });
  // identity → the gateway: the logged-out session's token is refused at the door.
  const held = (await tokens.load())!;
  await customer.logout();
  const stale = new MemoryTokenStore();
  await stale.save(held);
  const refused = await new ElcorpClient({ baseUrl: gateway, deviceKeyStore: deviceKeys, tokenStore: stale }).me().catch((e: unknown) => e);
  t.match(refused, { status: 401 }, "the logged-out session's token is refused");

  // Every durable has taken and acknowledged all it was sent; nothing was dead-lettered.
  const deadline = Date.now() + drainDeadlineMs;
  let consumers: ConsumerDetail[] = [];
  let dlq: StreamDetail | undefined;
  for (;;) {
    const details = await streams(broker.monitorUrl);
    consumers = details.flatMap((stream) => stream.consumer_detail ?? []);
    dlq = details.find((stream) => stream.name === 'ELCORP_DLQ');
    const drained = consumers.every((consumer) => consumer.num_pending === 0 && consumer.num_ack_pending === 0);
    if (drained || Date.now() > deadline) break;
    await delay(200);
  }
  t.same(consumers.filter((consumer) => consumer.num_pending + consumer.num_ack_pending > 0), [], 'every consumer caught up');
  for (const owner of services) {
    t.ok(consumers.some((consumer) => consumer.name.startsWith(`${owner}-`)), `${owner}'s durables exist`);
  }
  t.equal(dlq?.state.messages, 0, 'no dead letters');
  t.notMatch(broker.server.log(), /Violation|Authorization Error/, 'the server refused nothing the fleet asked', { log: broker.server.log().slice(-4_000) });

  fleet.stop();
  t.same(await fleet.exitWithin(stopDeadlineMs), { code: 0, signal: null }, 'the fleet stops cleanly', { output: fleet.output() });
});
