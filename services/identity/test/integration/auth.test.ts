import t from 'tap';
import { newUser, openIdentity, signedInUser, strongPassword } from './client.js';

t.test('register: 201 user, case-insensitive uniqueness, one errors[] entry per broken password rule', async (t) => {
  const identity = await openIdentity(t, { ELCORP_BOOTSTRAP_ADMIN_EMAIL: 'root@example.na' });
  const body = newUser();
  const res = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: body });
  t.equal(res.statusCode, 201);
  t.match(res.json(), { email: body.email, fullName: body.fullName, phone: body.phone, roles: ['user'], status: 'active', mfaEnabled: false, lastLoginAt: null });
  t.notOk('password' in res.json() || 'passwordHash' in res.json());

  const again = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { ...body, email: body.email.toUpperCase() } });
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'identity.email_taken');

  const weak = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: newUser({ password: 'shikongo' }) });
  t.equal(weak.statusCode, 422);
  t.equal(weak.json().code, 'validation_failed');
  const rules = weak.json().errors.map((e: { message: string }) => e.message.split(':')[0]).sort();
  t.same(rules, ['context', 'length', 'strength'], 'each violated rule is its own entry');

  const bad = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { ...newUser(), phone: '0811234567', agreedTerms: false, extra: 1 } });
  t.equal(bad.statusCode, 422);
  t.same(bad.json().errors.map((e: { path: string }) => e.path).sort(), ['body.agreedTerms', 'body.extra', 'body.phone']);

  const admin = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: newUser({ email: 'Root@Example.na' }) });
  t.same(admin.json().roles, ['admin', 'user'], 'the bootstrap email gets admin');
});

t.test('login: tokens bound to the device key; same answer for unknown email and wrong password', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session } = await signedInUser(identity);
  t.match(session, { tokenType: 'DPoP', expiresIn: 900, user: { email: body.email, lastLoginAt: String } });
  const claims = JSON.parse(Buffer.from(session.accessToken.split('.')[1]!, 'base64url').toString());
  t.equal(claims.cnf.jkt, device.key.jkt);
  t.equal(claims.sid, session.sessionId);
  t.same(claims.roles, ['user']);

  const stranger = await identity.device();
  const wrong = await stranger.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: `${strongPassword}x` } });
  const unknown = await stranger.call('POST', '/api/v1/auth/login', { body: { email: `nobody-${Date.now()}@example.na`, password: strongPassword } });
  t.equal(wrong.statusCode, 401);
  t.equal(unknown.statusCode, 401);
  const strip = (b: { instance?: string }) => ({ ...b, instance: undefined });
  t.same(strip(wrong.json()), strip(unknown.json()), 'identical problem body');
  t.equal(wrong.json().code, 'identity.invalid_credentials');
  t.match(wrong.headers['www-authenticate'], /^DPoP /);

  const noProof = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: body.email, password: strongPassword } });
  t.equal(noProof.statusCode, 401);
  t.equal(noProof.json().code, 'auth.invalid_dpop_proof');
});

t.test('lockout: 5 failures lock for 15 minutes with Retry-After, counted atomically under parallel attempts', async (t) => {
  const identity = await openIdentity(t);
  const { body } = await signedInUser(identity);
  const attacker = await identity.device();
  const attempts = await Promise.all(
    Array.from({ length: 12 }, () => attacker.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: 'wrong password guess 1' } })),
  );
  const statuses = attempts.map((r) => r.statusCode);
  t.ok(statuses.filter((s) => s === 401).length <= 4, `at most 4 plain failures before the lock (${statuses.join(',')})`);
  t.equal(statuses.filter((s) => s !== 401 && s !== 423).length, 0);
  const locked = await attacker.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword } });
  t.equal(locked.statusCode, 423, 'even the right password is refused while locked');
  t.equal(locked.json().code, 'identity.account_locked');
  t.ok(Number(locked.headers['retry-after']) > 800);
  const notice = (await identity.messages()).find((m) => m.template === 'account_locked');
  t.equal(notice?.to.email, body.email, 'the owner is told');

  const unknownEmail = `ghost-${Date.now()}@example.na`;
  for (let i = 0; i < 5; i++) await attacker.call('POST', '/api/v1/auth/login', { body: { email: unknownEmail, password: 'x' } });
  const ghost = await attacker.call('POST', '/api/v1/auth/login', { body: { email: unknownEmail, password: 'x' } });
  t.equal(ghost.statusCode, 423, 'an unknown email locks the same way, revealing nothing');
});

t.test('a success resets the failure count', async (t) => {
  const identity = await openIdentity(t);
  const { body, device } = await signedInUser(identity);
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 4; i++) {
      const res = await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: 'not it at all!!' } });
      t.equal(res.statusCode, 401);
    }
    await device.login(body.email, strongPassword);
  }
});
