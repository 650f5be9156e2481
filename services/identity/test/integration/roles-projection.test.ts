import { createEvent, uuidv7, type DomainEvent } from '@elcorp/contracts';
import { settled, testConfig } from '@elcorp/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import t from 'tap';
import { openIdentity, signedInUser, strongPassword, type Session } from './client.js';

type RoleEventType = 'governance.role.assigned' | 'governance.role.revoked';

/**
 * Publishes as governance's relay would. JetStream answers a request on a stream subject with
 * its publish ack, so awaiting the reply means the event is stored (the identity package
 * carries the NATS core client, not the JetStream one).
 */
async function publishRoleEvent(nc: NatsConnection, root: string, type: RoleEventType, userId: string, role: string): Promise<DomainEvent> {
  const event = createEvent(type, { subject: { type: 'user', id: userId }, actor: null, data: { userId, role, by: null } });
  const reply = await nc.request(`${root}.${type}`, JSON.stringify(event), { timeout: 5_000 });
  const ack = reply.json<{ stream?: string; error?: { description: string } }>();
  if (!ack.stream) throw new Error(`not stored: ${ack.error?.description ?? reply.string()}`);
  return event;
}

const rolesIn = (session: Session): string[] => JSON.parse(Buffer.from(session.accessToken.split('.')[1]!, 'base64url').toString()).roles;

t.test('governance role assignments reach new tokens; revocations take them away; unknown users are skipped', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session, user } = await signedInUser(identity);
  t.same(rolesIn(session), ['user']);
  t.equal((await device.call('GET', '/api/v1/users', { session })).statusCode, 403, 'a plain user cannot list users');

  const nc = await connect({ servers: testConfig.natsUrl });
  t.teardown(() => nc.close());
  const stranger = uuidv7();
  // Armed before publishing, so neither outcome can settle unobserved.
  const assignments = settled(identity.messaging, (o) => o.kind === 'applied' && o.event.type === 'governance.role.assigned', { count: 2 });
  const ignored = await publishRoleEvent(nc, identity.subjectRoot, 'governance.role.assigned', stranger, 'staff');
  await publishRoleEvent(nc, identity.subjectRoot, 'governance.role.assigned', user.id, 'staff');
  await assignments;

  const staff = await device.login(body.email, strongPassword);
  t.same(rolesIn(staff), ['staff', 'user'], 'the projected role is in the new token');
  t.equal((await device.call('GET', '/api/v1/users', { session: staff })).statusCode, 200, 'and grants user:read');
  t.match((await device.call('GET', '/api/v1/users/me', { session: staff })).json(), { roles: ['staff', 'user'] });

  const inbox = await identity.query<{ event_id: string }>('SELECT event_id FROM inbox WHERE consumer = $1', ['identity-governance-role-assigned']);
  t.ok(inbox.some((row) => row.event_id === ignored.id), 'the event for an unknown user was acknowledged');
  t.same(await identity.query('SELECT * FROM user_roles WHERE user_id = $1', [stranger]), [], 'and projected nothing');

  const revoked = settled(identity.messaging, (o) => o.kind === 'applied' && o.event.type === 'governance.role.revoked');
  await publishRoleEvent(nc, identity.subjectRoot, 'governance.role.revoked', user.id, 'staff');
  await revoked;
  const plain = await device.login(body.email, strongPassword);
  t.same(rolesIn(plain), ['user']);
  t.equal((await device.call('GET', '/api/v1/users', { session: plain })).statusCode, 403, 'user:read is gone with the role');
});
