import { revokedSessionKey } from '@elcorp/auth';
import { createEvent, uuidv7, type DomainEvent } from '@elcorp/contracts';
import type { SettledOutcome } from '@elcorp/messaging';
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
async function publishRoleEvent(nc: NatsConnection, root: string, type: RoleEventType, userId: string, role: string, id?: string): Promise<DomainEvent> {
  const created = createEvent(type, { subject: { type: 'user', id: userId }, actor: null, data: { userId, role, by: null } });
  const event = id ? { ...created, id } : created;
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

/** Two event ids in a known order: UUIDv7 orders by millisecond, so a second apart is unambiguous. */
function orderedIds(): { older: string; newer: string } {
  const now = Date.now();
  return { older: uuidv7(now - 1_000), newer: uuidv7(now) };
}

const applied = (type: RoleEventType, id: string) => (o: SettledOutcome) => o.kind === 'applied' && o.event.type === type && o.event.id === id;

t.test('the projection is order-independent: a late older event never undoes a newer one', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, user } = await signedInUser(identity);
  const nc = await connect({ servers: testConfig.natsUrl });
  t.teardown(() => nc.close());
  const publish = async (type: RoleEventType, role: string, id: string) => {
    const done = settled(identity.messaging, applied(type, id));
    await publishRoleEvent(nc, identity.subjectRoot, type, user.id, role, id);
    await done;
  };

  // Revoked, then the older assignment arrives late (the assigned durable lagging behind).
  const staff = orderedIds();
  await publish('governance.role.revoked', 'staff', staff.newer);
  await publish('governance.role.assigned', 'staff', staff.older);
  t.same(
    await identity.query('SELECT role, last_event_id, assigned FROM user_role_events WHERE user_id = $1', [user.id]),
    [{ role: 'staff', last_event_id: staff.newer, assigned: false }],
    'the revocation stays as a tombstone holding the newer id',
  );

  // Assigned, then the older revocation arrives late.
  const admin = orderedIds();
  await publish('governance.role.assigned', 'admin', admin.newer);
  await publish('governance.role.revoked', 'admin', admin.older);

  // A newer assignment replaces the tombstone.
  const later = uuidv7(Date.now() + 1_000);
  await publish('governance.role.assigned', 'staff', later);
  const session = await device.login(body.email, strongPassword);
  t.same(rolesIn(session), ['admin', 'staff', 'user'], 'each role follows its newest event, not the order of arrival');
  t.same(
    await identity.query('SELECT role, assigned FROM user_role_events WHERE user_id = $1 ORDER BY role', [user.id]),
    [
      { role: 'admin', assigned: true },
      { role: 'staff', assigned: true },
    ],
  );
});

t.test("losing a role ends the user's sessions fleet-wide; signing in again gives a token without it", async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session: first, user } = await signedInUser(identity);
  const nc = await connect({ servers: testConfig.natsUrl });
  t.teardown(() => nc.close());

  const assigned = settled(identity.messaging, (o) => o.kind === 'applied' && o.event.type === 'governance.role.assigned');
  await publishRoleEvent(nc, identity.subjectRoot, 'governance.role.assigned', user.id, 'staff');
  await assigned;
  const staff = await device.login(body.email, strongPassword);
  t.same(rolesIn(staff), ['staff', 'user']);
  const otherDevice = await identity.device();
  const second = await otherDevice.login(body.email, strongPassword);

  // A role the user never held changes nothing: no token carries it.
  const notHeld = settled(identity.messaging, (o) => o.kind === 'applied' && o.event.type === 'governance.role.revoked');
  await publishRoleEvent(nc, identity.subjectRoot, 'governance.role.revoked', user.id, 'guest');
  await notHeld;
  t.equal((await device.call('GET', '/api/v1/users', { session: staff })).statusCode, 200, 'sessions survive revoking a role not held');

  const revoked = settled(identity.messaging, (o) => o.kind === 'applied' && o.event.type === 'governance.role.revoked');
  await publishRoleEvent(nc, identity.subjectRoot, 'governance.role.revoked', user.id, 'staff');
  await revoked;

  const old = await device.call('GET', '/api/v1/users/me', { session: staff });
  t.equal(old.statusCode, 401, 'the token carrying the lost role is refused');
  t.equal((await otherDevice.call('GET', '/api/v1/users/me', { session: second })).statusCode, 401, 'and so is every other session of the user');
  const sessions = [first.sessionId, staff.sessionId, second.sessionId];
  for (const sessionId of sessions) {
    t.equal(await identity.redisValue(revokedSessionKey('', sessionId)), '1', 'the deny-list the gateway and every service read holds the session');
  }
  const events = await identity.query<{ payload: { data: { userId: string; sessionId: string; reason: string } } }>(
    "SELECT payload FROM outbox WHERE type = 'identity.session.revoked' ORDER BY id",
  );
  t.same(
    events.map((e) => e.payload.data).sort((a, b) => a.sessionId.localeCompare(b.sessionId)),
    sessions.sort().map((sessionId) => ({ userId: user.id, sessionId, reason: 'admin' })),
    'each revocation is announced with the projection',
  );
  t.equal((await device.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: staff.refreshToken } })).statusCode, 401, 'the refresh token ended with its session');

  const again = await device.login(body.email, strongPassword);
  t.same(rolesIn(again), ['user'], 'the new token lacks the role');
  t.equal((await device.call('GET', '/api/v1/users', { session: again })).statusCode, 403);
});

t.test('a grant shows at the next refresh without signing in again', async (t) => {
  const identity = await openIdentity(t);
  const { device, session, user } = await signedInUser(identity);
  const nc = await connect({ servers: testConfig.natsUrl });
  t.teardown(() => nc.close());
  const assigned = settled(identity.messaging, (o) => o.kind === 'applied' && o.event.type === 'governance.role.assigned');
  await publishRoleEvent(nc, identity.subjectRoot, 'governance.role.assigned', user.id, 'staff');
  await assigned;
  t.equal((await device.call('GET', '/api/v1/users/me', { session })).statusCode, 200, 'a grant ends no session');
  const refreshed = await device.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
  t.equal(refreshed.statusCode, 200);
  t.same(rolesIn(refreshed.json() as Session), ['staff', 'user']);
});
