import { createEvent, uuidv7, type DomainEvent } from '@elcorp/contracts';
import { settled, testConfig } from '@elcorp/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import t from 'tap';
import { paymentsApi } from './http-harness.js';

async function publish(nc: NatsConnection, root: string, event: DomainEvent): Promise<void> {
  const reply = await nc.request(`${root}.${event.type}`, JSON.stringify(event), { timeout: 5_000 });
  const ack = reply.json<{ stream?: string; error?: { description: string } }>();
  if (!ack.stream) throw new Error(`not stored: ${ack.error?.description ?? reply.string()}`);
}

t.test('identity.user.registered over NATS opens one NAD account, even when delivered twice; erasure scrubs the name', async (t) => {
  const api = await paymentsApi(t);
  const nc = await connect({ servers: testConfig.natsUrl });
  t.teardown(() => nc.close());
  const userId = uuidv7();
  const registered = createEvent('identity.user.registered', { subject: { type: 'user', id: userId }, actor: null, data: { userId, email: 'nela@example.na', fullName: 'Nela Haufiku', phone: '+264811234567' } });
  // A replay of the same event under a new id (a republish) must not open a second account either.
  const again = { ...registered, id: uuidv7() };
  const applied = settled(api.messaging, (o) => o.kind === 'applied' && o.event.type === 'identity.user.registered', { count: 2 });
  await publish(nc, api.subjectRoot, registered);
  await publish(nc, api.subjectRoot, again);
  await applied;
  const accounts = await api.db.selectFrom('accounts').select(['id', 'currency']).where('owner_id', '=', userId).execute();
  t.same(accounts.map((a) => a.currency), ['NAD'], 'one NAD account');
  const opened = await api.db.selectFrom('outbox').select('payload').where('type', '=', 'payments.account.opened').execute();
  t.equal(opened.filter((row) => (row.payload as { data: { ownerId: string } }).data.ownerId === userId).length, 1, 'announced once, with the account');
  const party = await api.db.selectFrom('parties').select(['display_name']).where('user_id', '=', userId).executeTakeFirstOrThrow();
  t.equal(party.display_name, 'N*** H******', 'only the masked name is kept');

  const erased = settled(api.messaging, (o) => o.kind === 'applied' && o.event.type === 'identity.user.erased');
  await publish(nc, api.subjectRoot, createEvent('identity.user.erased', { subject: { type: 'user', id: userId }, actor: null, data: { userId, by: userId } }));
  await erased;
  const after = await api.db.selectFrom('parties').select(['display_name', 'erased_at']).where('user_id', '=', userId).executeTakeFirstOrThrow();
  t.equal(after.display_name, null);
  t.ok(after.erased_at);
  t.equal((await api.db.selectFrom('accounts').select('id').where('owner_id', '=', userId).execute()).length, 1, 'the account stays');
});
