import { createEvent, uuidv7 } from '@elcorp/contracts';
import t from 'tap';
import { assignRole, userRoles } from '../../src/application/assignments.js';
import { onUserErased, onUserRegistered } from '../../src/application/registrations.js';
import { openHarness, type Harness } from './harness.js';

const bootstrapAdminEmail = 'root@example.com';

function register(h: Harness, email: string) {
  const userId = uuidv7();
  const event = createEvent('identity.user.registered', { subject: { type: 'user', id: userId }, actor: null, data: { userId, email, fullName: 'A Person', phone: '+264811234567' } });
  return { userId, run: () => h.deps.uow((uow) => onUserRegistered({ bootstrapAdminEmail, now: h.deps.now }, event, uow)) };
}

t.test('every new user gets user; the bootstrap email also gets admin, each grant announced', async (t) => {
  const h = await openHarness(t);
  const ann = register(h, 'ann@example.com');
  await ann.run();
  const root = register(h, 'Root@Example.com');
  await root.run();
  t.same(await userRoles(h.deps, ann.userId), { roles: ['user'] });
  t.same(await userRoles(h.deps, root.userId), { roles: ['admin', 'user'] });
  t.same(
    (await h.events('governance.role.assigned')).map((e) => [e.data.userId, e.data.role, e.data.by]),
    [
      [ann.userId, 'user', null],
      [root.userId, 'user', null],
      [root.userId, 'admin', null],
    ],
  );
});

t.test('the bootstrap email gets nothing special once an admin has ever existed, even if none is left', async (t) => {
  const h = await openHarness(t);
  const first = uuidv7();
  await assignRole(h.deps, { userId: uuidv7(), roles: ['admin'] }, first, 'admin');
  await h.deps.uow((uow) => onUserErased(createEvent('identity.user.erased', { subject: { type: 'user', id: first }, actor: null, data: { userId: first, by: first } }), uow));
  const root = register(h, bootstrapAdminEmail);
  await root.run();
  t.same(await userRoles(h.deps, root.userId), { roles: ['user'] });
});

t.test('a redelivered registration grants nothing twice', async (t) => {
  const h = await openHarness(t);
  const ann = register(h, 'ann@example.com');
  await ann.run();
  await ann.run();
  t.equal((await h.events('governance.role.assigned')).length, 1);
});

t.test('erasure drops every role, each revocation announced, the last admin included', async (t) => {
  const h = await openHarness(t);
  const root = register(h, bootstrapAdminEmail);
  await root.run();
  const erased = createEvent('identity.user.erased', { subject: { type: 'user', id: root.userId }, actor: null, data: { userId: root.userId, by: root.userId } });
  await h.deps.uow((uow) => onUserErased(erased, uow));
  t.same(await userRoles(h.deps, root.userId), { roles: [] });
  t.same((await h.events('governance.role.revoked')).map((e) => e.data.role).sort(), ['admin', 'user']);
});
