import t, { type Test } from 'tap';
import { newUser, openIdentity, signedInUser, strongPassword, type Identity } from './client.js';

const adminEmail = 'root@example.na';

interface StoredEvent {
  type: string;
  actor: { userId: string } | null;
  data: Record<string, unknown>;
}

/** Events the service wrote to its outbox, oldest first. */
async function outboxEvents(identity: Identity, type: string): Promise<StoredEvent[]> {
  const rows = await identity.query<{ payload: StoredEvent }>('SELECT payload FROM outbox WHERE type = $1 ORDER BY created_at, id', [type]);
  return rows.map((r) => r.payload);
}

async function register(identity: Identity, overrides: Record<string, unknown> = {}) {
  const body = newUser(overrides);
  const res = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: body });
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  return { body, user: res.json() as { id: string; email: string } };
}

/** An identity service with a bootstrap admin signed in. */
async function withAdmin(t: Test) {
  const identity = await openIdentity(t, { ELCORP_BOOTSTRAP_ADMIN_EMAIL: adminEmail });
  const admin = await signedInUser(identity, { email: adminEmail });
  t.same(admin.session.user.roles, ['admin', 'user'], 'the bootstrap admin');
  return { identity, admin };
}

t.test('me: read, change name and phone (strict, at least one field), identity.user.updated', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session, user } = await signedInUser(identity);

  const me = await device.call('GET', '/api/v1/users/me', { session });
  t.equal(me.statusCode, 200);
  t.match(me.json(), { id: user.id, email: body.email, fullName: body.fullName, phone: body.phone, roles: ['user'], status: 'active', mfaEnabled: false, lastLoginAt: String });
  t.equal((await identity.app.inject({ method: 'GET', url: '/api/v1/users/me' })).statusCode, 401, 'needs a token');

  const renamed = await device.call('PATCH', '/api/v1/users/me', { session, body: { fullName: 'Ana Nangolo' } });
  t.equal(renamed.statusCode, 200);
  t.match(renamed.json(), { id: user.id, fullName: 'Ana Nangolo', phone: body.phone, email: body.email });
  const both = await device.call('PATCH', '/api/v1/users/me', { session, body: { fullName: 'Ana Nangolo', phone: '+27821234567' } });
  t.match(both.json(), { fullName: 'Ana Nangolo', phone: '+27821234567' });
  t.same(
    (await outboxEvents(identity, 'identity.user.updated')).map((e) => e.data),
    [
      { userId: user.id, changed: ['fullName'] },
      { userId: user.id, changed: ['phone'] },
    ],
    'changed lists the fields whose value changed',
  );
  t.same((await device.call('GET', '/api/v1/users/me', { session })).json().phone, '+27821234567', 'stored');

  const empty = await device.call('PATCH', '/api/v1/users/me', { session, body: {} });
  t.equal(empty.statusCode, 422);
  t.equal(empty.json().code, 'validation_failed');
  const unknown = await device.call('PATCH', '/api/v1/users/me', { session, body: { email: 'other@example.na' } });
  t.equal(unknown.statusCode, 422, 'email is not changed here');
  t.same(unknown.json().errors.map((e: { path: string }) => e.path).sort(), ['body', 'body.email'], 'an unknown field, and no field to change');
  const badPhone = await device.call('PATCH', '/api/v1/users/me', { session, body: { phone: '0811234567' } });
  t.same(badPhone.json().errors.map((e: { path: string }) => e.path), ['body.phone']);
});

t.test('lookup by email: id and masked name, case-insensitive; unknown and erased answer 404', async (t) => {
  const identity = await openIdentity(t);
  const { device, session } = await signedInUser(identity);
  const payee = await register(identity, { fullName: 'Ana Nangolo' });

  const found = await device.call('GET', `/api/v1/users/lookup?email=${encodeURIComponent(payee.body.email.toUpperCase())}`, { session });
  t.equal(found.statusCode, 200);
  t.same(found.json(), { id: payee.user.id, displayName: 'A** N******' });

  const missing = await device.call('GET', `/api/v1/users/lookup?email=nobody-${Date.now()}@example.na`, { session });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().code, 'identity.user_not_found');
  const invalid = await device.call('GET', '/api/v1/users/lookup?email=not-an-email', { session });
  t.equal(invalid.statusCode, 422);
  t.same(invalid.json().errors.map((e: { path: string }) => e.path), ['querystring.email']);
  t.equal((await identity.app.inject({ method: 'GET', url: `/api/v1/users/lookup?email=${payee.body.email}` })).statusCode, 401);

  const payeeDevice = await identity.device();
  const payeeSession = await payeeDevice.login(payee.body.email, strongPassword);
  t.equal((await payeeDevice.call('DELETE', '/api/v1/users/me', { session: payeeSession, body: { password: strongPassword } })).statusCode, 202);
  const gone = await device.call('GET', `/api/v1/users/lookup?email=${encodeURIComponent(payee.body.email)}`, { session });
  t.equal(gone.statusCode, 404, 'an erased user is not found');
});

t.test('admin routes answer 403 authz.denied to a plain user; {id} hides other users', async (t) => {
  const { identity, admin } = await withAdmin(t);
  const { device, session, user } = await signedInUser(identity);
  for (const [method, path] of [
    ['GET', '/api/v1/users'],
    ['POST', `/api/v1/users/${admin.user.id}/unlock`],
    ['DELETE', `/api/v1/users/${admin.user.id}`],
  ] as const) {
    const res = await device.call(method, path, { session });
    t.equal(res.statusCode, 403, `${method} ${path}`);
    t.match(res.json(), { code: 'authz.denied', title: 'Forbidden', status: 403 });
  }
  t.equal((await device.call('GET', `/api/v1/users/${user.id}`, { session })).json().id, user.id, 'self is allowed');
  const other = await device.call('GET', `/api/v1/users/${admin.user.id}`, { session });
  t.equal(other.statusCode, 404, 'without user:read another user is as good as unknown');
  t.equal(other.json().code, 'identity.user_not_found');

  const seen = await admin.device.call('GET', `/api/v1/users/${user.id}`, { session: admin.session });
  t.equal(seen.statusCode, 200);
  t.match(seen.json(), { id: user.id, roles: ['user'], status: 'active' });
  const unknown = await admin.device.call('GET', `/api/v1/users/${crypto.randomUUID()}`, { session: admin.session });
  t.equal(unknown.statusCode, 404);
  t.equal(unknown.json().code, 'identity.user_not_found');
  t.equal((await admin.device.call('GET', '/api/v1/users/not-a-uuid', { session: admin.session })).statusCode, 422);
  const spec = (await identity.app.inject('/openapi.json')).json();
  for (const path of ['/api/v1/users', '/api/v1/users/me', '/api/v1/users/lookup', '/api/v1/users/{id}', '/api/v1/users/{id}/unlock']) {
    t.ok(spec.paths[path], `${path} is in the OpenAPI document`);
  }
});

t.test('listing: keyset pages of 2 across 3 pages, search by email prefix or name, bad cursors refused', async (t) => {
  const { identity, admin } = await withAdmin(t);
  const others = [];
  for (const fullName of ['Zebra Kapuka', 'Percent 100% Sure', 'Under_Score Amupolo', 'Ndapewa Shikongo', 'Tuli Zebrahim']) {
    others.push((await register(identity, { fullName })).user);
  }
  const everyone = [admin.user.id, ...others.map((u) => u.id)];

  const seen: string[] = [];
  let cursor: string | null = null;
  const pages: number[] = [];
  do {
    const query: string = cursor === null ? 'limit=2' : `limit=2&cursor=${cursor}`;
    const res = await admin.device.call('GET', `/api/v1/users?${query}`, { session: admin.session });
    t.equal(res.statusCode, 200);
    const page = res.json() as { items: Array<{ id: string; email: string | null }>; nextCursor: string | null };
    pages.push(page.items.length);
    seen.push(...page.items.map((u) => u.id));
    cursor = page.nextCursor;
    if (pages.length > 5) break;
  } while (cursor !== null);
  t.same(pages, [2, 2, 2], 'three full pages, the last without a next cursor');
  t.same(seen, everyone, 'every user once, in creation order');

  const byDefault = await admin.device.call('GET', '/api/v1/users', { session: admin.session });
  t.equal(byDefault.json().items.length, 6);
  t.equal(byDefault.json().nextCursor, null);

  const search = async (q: string) => {
    const res = await admin.device.call('GET', `/api/v1/users?q=${encodeURIComponent(q)}`, { session: admin.session });
    t.equal(res.statusCode, 200, `q=${q}`);
    return (res.json().items as Array<{ fullName: string }>).map((u) => u.fullName).sort();
  };
  t.same(await search('zebra'), ['Tuli Zebrahim', 'Zebra Kapuka'], 'name contains, case-insensitive');
  t.same(await search('100%'), ['Percent 100% Sure'], '% is literal');
  t.same(await search('%'), ['Percent 100% Sure']);
  t.same(await search('_'), ['Under_Score Amupolo'], '_ is literal');
  t.same(await search(others[0]!.email.toUpperCase().slice(0, -3)), ['Zebra Kapuka'], 'email prefix, case-insensitive');
  t.same(await search(others[0]!.email.slice(3)), [], 'an email matches by prefix only');

  for (const bad of ['not*base64', Buffer.from('["2024-13-01T00:00:00.000000Z","x"]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
    const res = await admin.device.call('GET', `/api/v1/users?cursor=${encodeURIComponent(bad)}`, { session: admin.session });
    t.equal(res.statusCode, 422, `cursor ${bad}`);
    t.equal(res.json().code, 'validation_failed');
    t.same(res.json().errors.map((e: { path: string }) => e.path), ['querystring.cursor']);
  }
  for (const limit of ['0', '101', 'x']) {
    const res = await admin.device.call('GET', `/api/v1/users?limit=${limit}`, { session: admin.session });
    t.equal(res.statusCode, 422, `limit=${limit}`);
  }
});

t.test('unlock: an admin lifts a lockout at once; identity.user.unlocked names who', async (t) => {
  const { identity, admin } = await withAdmin(t);
  const { body, user } = await signedInUser(identity);
  const attacker = await identity.device();
  for (let i = 0; i < 5; i++) await attacker.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: 'wrong password guess 1' } });
  t.equal((await attacker.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword } })).statusCode, 423);
  const locked = await admin.device.call('GET', `/api/v1/users/${user.id}`, { session: admin.session });
  t.equal(locked.json().status, 'locked');

  const unlocked = await admin.device.call('POST', `/api/v1/users/${user.id}/unlock`, { session: admin.session });
  t.equal(unlocked.statusCode, 204);
  t.equal((await admin.device.call('GET', `/api/v1/users/${user.id}`, { session: admin.session })).json().status, 'active');
  const owner = await identity.device();
  await owner.login(body.email, strongPassword);
  t.same((await outboxEvents(identity, 'identity.user.unlocked')).map((e) => e.data), [{ userId: user.id, by: admin.user.id }]);

  const unknown = await admin.device.call('POST', `/api/v1/users/${crypto.randomUUID()}/unlock`, { session: admin.session });
  t.equal(unknown.statusCode, 404);
  t.equal(unknown.json().code, 'identity.user_not_found');
});

t.test('me follows the account at once: the shared lock and its end, logout, expiry', async (t) => {
  const { identity, admin } = await withAdmin(t);
  const { body, device, session, user } = await signedInUser(identity);
  const me = () => device.call('GET', '/api/v1/users/me', { session });
  t.equal((await me()).json().status, 'active');
  const attacker = await identity.device();
  for (let i = 0; i < 5; i++) await attacker.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: 'wrong password guess 1' } });
  t.equal((await me()).json().status, 'locked', 'a lock of the devices that never signed in shows on the next read');
  t.equal((await admin.device.call('POST', `/api/v1/users/${user.id}/unlock`, { session: admin.session })).statusCode, 204);
  t.equal((await me()).json().status, 'active', 'and so does its end');

  const second = await identity.device();
  const secondSession = await second.login(body.email, strongPassword);
  t.equal((await second.call('GET', '/api/v1/users/me', { session: secondSession })).statusCode, 200);
  await identity.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [secondSession.sessionId]);
  const expired = await second.call('GET', '/api/v1/users/me', { session: secondSession });
  t.equal(expired.statusCode, 401, 'an expired session is refused at once');
  t.equal(expired.json().code, 'auth.invalid_token');

  t.equal((await device.call('POST', '/api/v1/auth/logout', { session })).statusCode, 204);
  const out = await me();
  t.equal(out.statusCode, 401, 'a logged-out session is refused at once');
  t.equal(out.json().code, 'auth.invalid_token');
});

t.test('erasing one\'s own account asks for the password; afterwards nothing of the person is left', async (t) => {
  const { identity, admin } = await withAdmin(t);
  const { body, device, session, user } = await signedInUser(identity);
  const second = await identity.device();
  const otherSession = await second.login(body.email, strongPassword);

  const wrong = await device.call('DELETE', '/api/v1/users/me', { session, body: { password: 'not my password at all' } });
  t.equal(wrong.statusCode, 401);
  t.equal(wrong.json().code, 'identity.invalid_credentials');
  t.equal((await device.call('DELETE', '/api/v1/users/me', { session, body: {} })).statusCode, 422);

  const erased = await device.call('DELETE', '/api/v1/users/me', { session, body: { password: strongPassword } });
  t.equal(erased.statusCode, 202);
  t.same(erased.json(), { id: user.id, status: 'erased' });

  for (const [d, s] of [[device, session], [second, otherSession]] as const) {
    const res = await d.call('GET', '/api/v1/users/me', { session: s });
    t.equal(res.statusCode, 401, 'every session is refused');
    t.equal(res.json().code, 'auth.invalid_token');
  }
  t.equal((await second.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: otherSession.refreshToken } })).statusCode, 401, 'refresh too');
  const login = await identity.device().then((d) => d.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword } }));
  t.equal(login.statusCode, 401);
  t.equal(login.json().code, 'identity.invalid_credentials');

  const view = await admin.device.call('GET', `/api/v1/users/${user.id}`, { session: admin.session });
  t.equal(view.statusCode, 200, 'the id survives');
  t.match(view.json(), { id: user.id, email: null, fullName: null, phone: null, roles: [], status: 'erased', mfaEnabled: false });
  const listed = await admin.device.call('GET', '/api/v1/users', { session: admin.session });
  t.match(listed.json().items.find((u: { id: string }) => u.id === user.id), { status: 'erased', email: null });

  t.same((await outboxEvents(identity, 'identity.user.erased')).map((e) => e.data), [{ userId: user.id, by: user.id }]);
  const revocations = (await outboxEvents(identity, 'identity.session.revoked')).filter((e) => e.data['reason'] === 'erasure');
  t.same(revocations.map((e) => e.data['sessionId']).sort(), [session.sessionId, otherSession.sessionId].sort());
  const [row] = await identity.query<Record<string, unknown>>('SELECT * FROM users WHERE id = $1', [user.id]);
  t.match(row, { email: null, email_normalized: null, full_name: null, phone: null, password_hash: null, totp_secret_enc: null, status: 'erased', erased_at: Date });
  const [leftovers] = await identity.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM password_history WHERE user_id = $1)
          + (SELECT count(*) FROM user_roles WHERE user_id = $1)
          + (SELECT count(*) FROM sessions WHERE user_id = $1 AND (ip IS NOT NULL OR user_agent IS NOT NULL)) AS n`,
    [user.id],
  );
  t.equal(Number(leftovers?.n), 0, 'no password history, roles or session PII left');

  const again = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { ...body, email: body.email.toUpperCase() } });
  t.equal(again.statusCode, 201, 'the email can be registered again');
  t.not(again.json().id, user.id);
});

t.test('an admin erases a user (user:delete); erasing again changes nothing; unknown ids are 404', async (t) => {
  const { identity, admin } = await withAdmin(t);
  const { body, device, session, user } = await signedInUser(identity);

  const erased = await admin.device.call('DELETE', `/api/v1/users/${user.id}`, { session: admin.session });
  t.equal(erased.statusCode, 202);
  t.same(erased.json(), { id: user.id, status: 'erased' });
  t.equal((await device.call('GET', '/api/v1/users/me', { session })).statusCode, 401, 'the user\'s session is refused');
  t.equal(await identity.redisValue(`revoked-session:${session.sessionId}`), '1', 'the gateway deny-list has it at once');
  const login = await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword } });
  t.equal(login.json().code, 'identity.invalid_credentials');
  t.match((await admin.device.call('GET', `/api/v1/users/${user.id}`, { session: admin.session })).json(), { status: 'erased', email: null, fullName: null, phone: null });

  const twice = await admin.device.call('DELETE', `/api/v1/users/${user.id}`, { session: admin.session });
  t.equal(twice.statusCode, 202);
  t.same((await outboxEvents(identity, 'identity.user.erased')).map((e) => ({ data: e.data, actor: e.actor?.userId })), [
    { data: { userId: user.id, by: admin.user.id }, actor: admin.user.id },
  ]);
  t.equal((await admin.device.call('POST', `/api/v1/users/${user.id}/unlock`, { session: admin.session })).statusCode, 204, 'nothing to unlock');

  const unknown = await admin.device.call('DELETE', `/api/v1/users/${crypto.randomUUID()}`, { session: admin.session });
  t.equal(unknown.statusCode, 404);
  t.equal(unknown.json().code, 'identity.user_not_found');
});

t.test('the bootstrap email makes an admin only while no admin has ever existed', async (t) => {
  const { identity, admin } = await withAdmin(t);
  const erased = await admin.device.call('DELETE', '/api/v1/users/me', { session: admin.session, body: { password: admin.body.password } });
  t.equal(erased.statusCode, 202, 'the first admin erases their account');
  t.same(await identity.query('SELECT role FROM user_roles'), [], 'no admin is left');

  const again = await signedInUser(identity, { email: admin.body.email });
  t.same(again.session.user.roles, ['user'], 'whoever registers the bootstrap email next is an ordinary user');
});

t.test('an admin granted before the bootstrap email registers takes its power away', async (t) => {
  const identity = await openIdentity(t, { ELCORP_BOOTSTRAP_ADMIN_EMAIL: adminEmail });
  const first = await signedInUser(identity);
  // As the roles projection stores governance's grant (the CLI's first admin, say).
  await identity.query("INSERT INTO user_roles (user_id, role) VALUES ($1, 'admin')", [first.user.id]);
  const late = await signedInUser(identity, { email: adminEmail });
  t.same(late.session.user.roles, ['user'], 'an admin already existed');
});
