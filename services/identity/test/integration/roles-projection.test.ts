import { createEvent, uuidv7, type DomainEvent } from '@elcorp/contracts';
import { testConfig } from '@elcorp/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import { openIdentity, signedInUser, strongPassword, type Device, type Session } from './client.js';

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

/**
 * Logs in until a fresh token's roles satisfy `wanted`. The consumer runs inside the booted
 * service and offers no hook to await from outside, so this polls with a bounded deadline.
 */
async function loginUntil(device: Device, email: string, wanted: (roles: string[]) => boolean): Promise<Session> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const session = await device.login(email, strongPassword);
    if (wanted(rolesIn(session))) return session;
    if (Date.now() > deadline) throw new Error(`roles still ${JSON.stringify(rolesIn(session))} after 10 s`);
    await delay(100);
  }
}

t.test('governance role assignments reach new tokens; revocations take them away; unknown users are skipped', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session, user } = await signedInUser(identity);
  t.same(rolesIn(session), ['user']);
  t.equal((await device.call('GET', '/api/v1/users', { session })).statusCode, 403, 'a plain user cannot list users');

  const nc = await connect({ servers: testConfig.natsUrl });
  t.teardown(() => nc.close());
  const stranger = uuidv7();
  const ignored = await publishRoleEvent(nc, identity.subjectRoot, 'governance.role.assigned', stranger, 'staff');
  await publishRoleEvent(nc, identity.subjectRoot, 'governance.role.assigned', user.id, 'staff');

  const staff = await loginUntil(device, body.email, (roles) => roles.includes('staff'));
  t.same(rolesIn(staff), ['staff', 'user'], 'the projected role is in the new token');
  t.equal((await device.call('GET', '/api/v1/users', { session: staff })).statusCode, 200, 'and grants user:read');
  t.match((await device.call('GET', '/api/v1/users/me', { session: staff })).json(), { roles: ['staff', 'user'] });

  // One consumer applies events in stream order: the stranger's event was settled before.
  const inbox = await identity.query<{ event_id: string }>('SELECT event_id FROM inbox WHERE consumer = $1', ['identity-roles']);
  t.ok(inbox.some((row) => row.event_id === ignored.id), 'the event for an unknown user was acknowledged');
  t.same(await identity.query('SELECT * FROM user_roles WHERE user_id = $1', [stranger]), [], 'and projected nothing');

  await publishRoleEvent(nc, identity.subjectRoot, 'governance.role.revoked', user.id, 'staff');
  const plain = await loginUntil(device, body.email, (roles) => !roles.includes('staff'));
  t.same(rolesIn(plain), ['user']);
  t.equal((await device.call('GET', '/api/v1/users', { session: plain })).statusCode, 403, 'user:read is gone with the role');
});
