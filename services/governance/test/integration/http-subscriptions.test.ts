import { uuidv7, type DomainEvent } from '@elcorp/contracts';
import { settled } from '@elcorp/testing';
import t from 'tap';
import { bootstrapAdminEmail, openGovernance, person } from './client.js';

const registered = (userId: string, email: string) => ({
  subject: { type: 'user', id: userId },
  actor: null,
  data: { userId, email, fullName: 'A Person', phone: '+264811234567' },
});
const forUser = (userId: string) => (e: DomainEvent) => (e.data as { userId?: string }).userId === userId;

t.test('identity.user.registered grants user, and admin to the bootstrap email; each grant is published for identity', async (t) => {
  const gov = await openGovernance(t);
  const [ann, root] = [uuidv7(), uuidv7()];
  const applied = settled(gov.messaging, (o) => o.kind === 'applied' && o.event.type === 'identity.user.registered', { count: 2 });
  const grants = gov.expect('governance.role.assigned', 3, (e) => forUser(ann)(e) || forUser(root)(e));
  await gov.publish('identity.user.registered', registered(ann, 'ann@example.com'));
  await gov.publish('identity.user.registered', registered(root, bootstrapAdminEmail.toUpperCase()));
  await applied;
  t.same((await grants).map((e) => [(e.data as { userId: string }).userId === root ? 'root' : 'ann', (e.data as { role: string }).role]).sort(), [
    ['ann', 'user'],
    ['root', 'admin'],
    ['root', 'user'],
  ]);
  const rootCaller = { userId: root, roles: ['admin', 'user'] };
  t.same((await gov.call('GET', `/users/${root}/roles`, rootCaller)).json(), { roles: ['admin', 'user'] });
  t.same((await gov.call('GET', `/users/${ann}/roles`, rootCaller)).json(), { roles: ['user'] });
});

t.test('identity.user.erased drops every role, each revocation published', async (t) => {
  const gov = await openGovernance(t);
  const admin = person('admin');
  const gone = uuidv7();
  const registeredApplied = settled(gov.messaging, (o) => o.kind === 'applied' && o.event.type === 'identity.user.registered');
  await gov.publish('identity.user.registered', registered(gone, 'gone@example.com'));
  await registeredApplied;
  await gov.call('PUT', `/users/${gone}/roles/staff`, admin);

  const revocations = gov.expect('governance.role.revoked', 2, forUser(gone));
  const erased = settled(gov.messaging, (o) => o.kind === 'applied' && o.event.type === 'identity.user.erased');
  await gov.publish('identity.user.erased', { subject: { type: 'user', id: gone }, actor: null, data: { userId: gone, by: gone } });
  await erased;
  t.same((await revocations).map((e) => (e.data as { role: string }).role).sort(), ['staff', 'user']);
  t.same((await gov.call('GET', `/users/${gone}/roles`, admin)).json(), { roles: [] });
});
