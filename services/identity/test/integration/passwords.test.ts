import { createHash } from 'node:crypto';
import t from 'tap';
import { newUser, openIdentity, signedInUser, strongPassword, type Identity } from './client.js';

const secondPassword = 'violet otter juggles nine lanterns';
const thirdPassword = 'quiet harbour maps seven comets';

const changePath = '/api/v1/users/me/password';
const forgotPath = '/api/v1/auth/password/forgot';
const resetPath = '/api/v1/auth/password/reset';

function forgot(identity: Identity, email: string) {
  return identity.app.inject({ method: 'POST', url: forgotPath, payload: { email } });
}

function reset(identity: Identity, token: string, newPassword: string) {
  return identity.app.inject({ method: 'POST', url: resetPath, payload: { token, newPassword } });
}

/**
 * Reset tokens mailed to `email`, once every forgot-password request made so far is handled:
 * delivery takes requests in order, so when a marker account's message arrives, every
 * request before it has been handled.
 */
async function resetTokensFor(identity: Identity, email: string): Promise<string[]> {
  await allDelivered(identity);
  return (await identity.messages()).filter((m) => m.template === 'password_reset' && m.to.email === email).map((m) => m.data.token!);
}

async function allDelivered(identity: Identity): Promise<void> {
  const marker = newUser();
  const registered = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: marker });
  if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.statusCode}`);
  await forgot(identity, marker.email);
  await identity.nextMessage((m) => m.template === 'password_reset' && m.to.email === marker.email);
}

async function outboxTypes(identity: Identity): Promise<string[]> {
  return (await identity.query<{ type: string }>('SELECT type FROM outbox ORDER BY created_at')).map((r) => r.type);
}

t.test('change: 204, old password refused, new one works, other sessions end while the current one lives', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session } = await signedInUser(identity);
  const laptop = await identity.device();
  const other = await laptop.login(body.email, strongPassword);

  const changed = await device.call('POST', changePath, { session, body: { currentPassword: strongPassword, newPassword: secondPassword } });
  t.equal(changed.statusCode, 204);

  const otherSessions = await laptop.call('GET', '/api/v1/auth/sessions', { session: other });
  t.equal(otherSessions.statusCode, 401, 'the other session is revoked');
  t.equal(otherSessions.json().code, 'auth.invalid_token');
  const mine = await device.call('GET', '/api/v1/auth/sessions', { session });
  t.equal(mine.statusCode, 200, 'the current session still works');
  t.same(
    mine.json().items.map((s: { id: string }) => s.id),
    [session.sessionId],
  );

  const stranger = await identity.device();
  const old = await stranger.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword } });
  t.equal(old.statusCode, 401);
  t.equal(old.json().code, 'identity.invalid_credentials');
  await stranger.login(body.email, secondPassword);

  const revoked = await identity.query<{ id: string; revoke_reason: string }>('SELECT id, revoke_reason FROM sessions WHERE revoked_at IS NOT NULL');
  t.same(revoked, [{ id: other.sessionId, revoke_reason: 'password_change' }]);
  const types = await outboxTypes(identity);
  t.ok(types.includes('identity.password.changed'), 'identity.password.changed is written with the change');
  t.ok(types.includes('identity.session.revoked'));
});

t.test('change: recent password reused, weak password, wrong current password', async (t) => {
  const identity = await openIdentity(t);
  const { device, session, body } = await signedInUser(identity);
  const change = (currentPassword: string, newPassword: string) => device.call('POST', changePath, { session, body: { currentPassword, newPassword } });

  const same = await change(strongPassword, strongPassword);
  t.equal(same.statusCode, 422, 'the current password is one of the last 5');
  t.equal(same.json().code, 'identity.password_reused');
  t.same(same.json().errors.map((e: { path: string }) => e.path), ['body.newPassword']);

  t.equal((await change(strongPassword, secondPassword)).statusCode, 204);
  const back = await change(secondPassword, strongPassword);
  t.equal(back.statusCode, 422, 'an earlier password is refused too');
  t.equal(back.json().code, 'identity.password_reused');

  const weak = await change(secondPassword, 'shikongo');
  t.equal(weak.statusCode, 422);
  t.equal(weak.json().code, 'validation_failed');
  t.ok(weak.json().errors.length >= 2, 'one entry per broken rule');
  t.ok(weak.json().errors.every((e: { path: string }) => e.path === 'body.newPassword'));

  const wrong = await change('not my password at all', thirdPassword);
  t.equal(wrong.statusCode, 401);
  t.equal(wrong.json().code, 'identity.invalid_credentials');
  t.match(wrong.headers['www-authenticate'], /^DPoP /);

  const unknownField = await device.call('POST', changePath, { session, body: { currentPassword: secondPassword, newPassword: thirdPassword, extra: 1 } });
  t.equal(unknownField.statusCode, 422);

  const anonymous = await identity.app.inject({ method: 'POST', url: changePath, payload: { currentPassword: secondPassword, newPassword: thirdPassword } });
  t.equal(anonymous.statusCode, 401);

  t.equal((await change(secondPassword, thirdPassword)).statusCode, 204, 'the session survives its own refused attempts');
  const history = await identity.query<{ n: number }>('SELECT count(*)::int AS n FROM password_history');
  t.equal(history[0]?.n, 3);
  await (await identity.device()).login(body.email, thirdPassword);
});

t.test('change: the history keeps the newest 5 passwords, so the 6th back is allowed again', async (t) => {
  const identity = await openIdentity(t);
  const { device, session } = await signedInUser(identity);
  const passwords = [strongPassword, secondPassword, thirdPassword, 'amber falcon sketches quiet dunes', 'granite koala whistles under rain', 'silver tulip crosses windy ferry'];
  for (let i = 1; i < passwords.length; i++) {
    const res = await device.call('POST', changePath, { session, body: { currentPassword: passwords[i - 1], newPassword: passwords[i] } });
    t.equal(res.statusCode, 204, `change ${i}`);
  }
  const kept = await identity.query<{ n: number }>('SELECT count(*)::int AS n FROM password_history');
  t.equal(kept[0]?.n, 5, 'older hashes are deleted');
  const recent = await device.call('POST', changePath, { session, body: { currentPassword: passwords[5], newPassword: passwords[1] } });
  t.equal(recent.json().code, 'identity.password_reused', 'the 5th back is still refused');
  const oldest = await device.call('POST', changePath, { session, body: { currentPassword: passwords[5], newPassword: passwords[0] } });
  t.equal(oldest.statusCode, 204, 'the 6th back has left the history');
});

t.test('change: wrong current passwords count toward the lockout of the session device', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session } = await signedInUser(identity);
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await device.call('POST', changePath, { session, body: { currentPassword: `wrong guess number ${i}`, newPassword: secondPassword } });
    statuses.push(res.statusCode);
  }
  t.same(statuses, [401, 401, 401, 401, 423], 'the fifth failure locks');
  const locked = await device.call('POST', changePath, { session, body: { currentPassword: strongPassword, newPassword: secondPassword } });
  t.equal(locked.statusCode, 423, 'even the right current password waits out the lock');
  t.equal(locked.json().code, 'identity.account_locked');
  t.ok(Number(locked.headers['retry-after']) > 800);
  const login = await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword } });
  t.equal(login.statusCode, 423, "the same count as that device's login");
  const other = await (await identity.device()).call('POST', '/api/v1/auth/login', { body: { email: body.email, password: 'still a wrong guess' } });
  t.equal(other.statusCode, 401, "another device's count is its own: the session's failures lock no one else out");
  t.ok((await identity.messages()).some((m) => m.template === 'account_locked' && m.to.email === body.email), 'the owner is told');
});

t.test('forgot: 202 always; a token is mailed only to an active account, at most 5 per hour', async (t) => {
  const identity = await openIdentity(t);
  const { body, user } = await signedInUser(identity);

  const known = await forgot(identity, body.email.toUpperCase());
  t.equal(known.statusCode, 202);
  await resetTokensFor(identity, body.email);
  const [message, ...more] = (await identity.messages()).filter((m) => m.template === 'password_reset' && m.to.email === body.email);
  t.equal(more.length, 0);
  t.equal(message?.to.email, body.email, 'sent to the address of the account');
  t.match(message?.data.token, /^[A-Za-z0-9_-]{43}$/, '256 bits, base64url');
  const expiresInMs = Date.parse(message!.data.expiresAt!) - Date.now();
  t.ok(expiresInMs > 29 * 60_000 && expiresInMs <= 30 * 60_000, 'expires in 30 minutes');
  const stored = await identity.query<{ user_id: string }>('SELECT user_id FROM password_resets WHERE token_hash = $1', [
    createHash('sha256').update(message!.data.token!).digest(),
  ]);
  t.same(stored, [{ user_id: user.id }], 'only the SHA-256 of the token is stored');
  t.ok((await outboxTypes(identity)).includes('identity.password.reset_requested'));

  const unknown = await forgot(identity, `nobody-${Date.now()}@example.na`);
  t.equal(unknown.statusCode, 202);
  t.equal(unknown.body, known.body, 'the same body');
  t.same(unknown.headers['content-type'], known.headers['content-type']);
  await allDelivered(identity);
  t.notOk((await identity.messages()).some((m) => m.to.email?.startsWith('nobody-')), 'no message for an unknown email');

  for (let i = 0; i < 6; i++) t.equal((await forgot(identity, body.email)).statusCode, 202);
  t.equal((await resetTokensFor(identity, body.email)).length, 5, 'at most 5 outstanding tokens per hour');

  const invalid = await identity.app.inject({ method: 'POST', url: forgotPath, payload: { email: 'not an email' } });
  t.equal(invalid.statusCode, 422);
});

t.test('reset: 204, every session ends, new password logs in, the token and its siblings are spent', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session } = await signedInUser(identity);
  await forgot(identity, body.email);
  await forgot(identity, body.email);
  const [token, sibling] = await resetTokensFor(identity, body.email);

  const weak = await reset(identity, token!, 'shikongo');
  t.equal(weak.statusCode, 422);
  t.equal(weak.json().code, 'validation_failed');
  t.ok(weak.json().errors.every((e: { path: string }) => e.path === 'body.newPassword'));
  const reused = await reset(identity, token!, strongPassword);
  t.equal(reused.statusCode, 422);
  t.equal(reused.json().code, 'identity.password_reused');

  const done = await reset(identity, token!, secondPassword);
  t.equal(done.statusCode, 204, 'a refused password did not spend the token');
  const mine = await device.call('GET', '/api/v1/auth/sessions', { session });
  t.equal(mine.statusCode, 401, 'all sessions are revoked');
  t.equal(mine.json().code, 'auth.invalid_token');

  const stranger = await identity.device();
  t.equal((await stranger.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword } })).statusCode, 401);
  await stranger.login(body.email, secondPassword);

  const again = await reset(identity, token!, thirdPassword);
  t.equal(again.statusCode, 400, 'single use');
  t.equal(again.json().code, 'identity.invalid_reset_token');
  const other = await reset(identity, sibling!, thirdPassword);
  t.equal(other.statusCode, 400, 'other outstanding tokens died with the reset');
  t.equal(other.json().code, 'identity.invalid_reset_token');
  t.equal((await reset(identity, 'x'.repeat(43), thirdPassword)).json().code, 'identity.invalid_reset_token', 'an unknown token');
  t.ok((await outboxTypes(identity)).includes('identity.password.changed'));
});

t.test('reset: an expired token is refused; two racing resets with one token, one wins', async (t) => {
  const identity = await openIdentity(t);
  const { body } = await signedInUser(identity);
  await forgot(identity, body.email);
  const [expired] = await resetTokensFor(identity, body.email);
  await identity.query(`UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [createHash('sha256').update(expired!).digest()]);
  const late = await reset(identity, expired!, secondPassword);
  t.equal(late.statusCode, 400);
  t.equal(late.json().code, 'identity.invalid_reset_token');

  await forgot(identity, body.email);
  const [, token] = await resetTokensFor(identity, body.email);
  const racing = await Promise.all([reset(identity, token!, secondPassword), reset(identity, token!, thirdPassword)]);
  t.same(racing.map((r) => r.statusCode).sort(), [204, 400]);
  const winner = racing[0]!.statusCode === 204 ? secondPassword : thirdPassword;
  await (await identity.device()).login(body.email, winner);
});

t.test('reset lifts a lockout', async (t) => {
  const identity = await openIdentity(t);
  const { body } = await signedInUser(identity);
  const attacker = await identity.device();
  for (let i = 0; i < 5; i++) await attacker.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: 'a wrong password guess' } });
  const locked = await attacker.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword } });
  t.equal(locked.statusCode, 423);

  t.equal((await forgot(identity, body.email)).statusCode, 202, 'a locked account may ask for a reset');
  const [token] = await resetTokensFor(identity, body.email);
  t.equal((await reset(identity, token!, secondPassword)).statusCode, 204);
  const owner = await identity.device();
  await owner.login(body.email, secondPassword);
  t.ok((await outboxTypes(identity)).includes('identity.user.unlocked'), 'the lift is audited');
});
