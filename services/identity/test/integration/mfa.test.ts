import { generate } from 'otplib';
import t from 'tap';
import { newUser, openIdentity, signedInUser, strongPassword, type Device, type Identity, type Session } from './client.js';

const totpPath = '/api/v1/users/me/mfa/totp';
const smsPath = '/api/v1/auth/mfa/sms';

/** The code an authenticator shows `offsetSeconds` from now (±30 s is still inside the window). */
const totpCode = (secret: string, offsetSeconds = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSeconds });

/** A well-formed code that no step within ±2 of now produces. */
async function wrongCode(secret: string): Promise<string> {
  const near = new Set(await Promise.all([-60, -30, 0, 30, 60].map((offset) => totpCode(secret, offset))));
  return ['000000', '111111', '222222', '333333', '444444', '555555'].find((c) => !near.has(c))!;
}

/** Sets up and confirms TOTP for a signed-in user, with the code of the current step. */
async function enrol(device: Device, session: Session) {
  const setup = await device.call('POST', totpPath, { session });
  if (setup.statusCode !== 200) throw new Error(`setup failed: ${setup.statusCode} ${setup.body}`);
  const { secret } = setup.json() as { secret: string };
  const confirmCode = await totpCode(secret);
  const confirmed = await device.call('POST', `${totpPath}/confirm`, { session, body: { otp: confirmCode } });
  if (confirmed.statusCode !== 200) throw new Error(`confirm failed: ${confirmed.statusCode} ${confirmed.body}`);
  return { secret, confirmCode, recoveryCodes: confirmed.json().recoveryCodes as string[] };
}

async function userRow(identity: Identity, id: string) {
  const [row] = await identity.query<{ mfa_enabled: boolean; totp_secret_enc: Buffer | null; totp_pending_secret_enc: Buffer | null; totp_last_step: string | null }>(
    'SELECT mfa_enabled, totp_secret_enc, totp_pending_secret_enc, totp_last_step FROM users WHERE id = $1',
    [id],
  );
  return row!;
}

async function outboxData(identity: Identity, type: string) {
  const rows = await identity.query<{ payload: { data: unknown; actor: unknown } }>('SELECT payload FROM outbox WHERE type = $1', [type]);
  return rows.map((r) => r.payload);
}

const smsMessages = async (identity: Identity) => (await identity.messages()).filter((m) => m.template === 'mfa_sms_code');

t.test('set-up: a pending secret until a code confirms it; confirm spends that code and gives 10 recovery codes', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session, user } = await signedInUser(identity);
  t.equal((await identity.app.inject({ method: 'POST', url: totpPath })).statusCode, 401, 'signed-in users only');
  const early = await device.call('POST', `${totpPath}/confirm`, { session, body: { otp: '123456' } });
  t.equal(early.statusCode, 422, 'nothing pending');
  t.equal(early.json().code, 'identity.invalid_otp');

  const setup = await device.call('POST', totpPath, { session });
  t.equal(setup.statusCode, 200);
  const { secret, otpauthUri } = setup.json() as { secret: string; otpauthUri: string };
  t.match(secret, /^[A-Z2-7]{32}$/, '160 bits, base32');
  const uri = new URL(otpauthUri);
  t.equal(uri.protocol, 'otpauth:');
  t.equal(uri.host, 'totp');
  t.equal(decodeURIComponent(uri.pathname), `/Elcorp:${body.email}`);
  t.equal(uri.searchParams.get('secret'), secret);
  t.equal(uri.searchParams.get('issuer'), 'Elcorp');
  const pending = await userRow(identity, user.id);
  t.match(pending, { mfa_enabled: false, totp_secret_enc: null });
  t.ok(pending.totp_pending_secret_enc && !pending.totp_pending_secret_enc.toString('latin1').includes(secret), 'stored sealed');
  t.equal((await (await identity.device()).call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword } })).statusCode, 200, 'not active yet');

  const wrong = await device.call('POST', `${totpPath}/confirm`, { session, body: { otp: await wrongCode(secret) } });
  t.equal(wrong.statusCode, 422);
  t.equal(wrong.json().code, 'identity.invalid_otp');
  t.notOk(wrong.headers['www-authenticate'], 'not an authentication failure: the session is fine');
  t.equal((await userRow(identity, user.id)).mfa_enabled, false);

  const code = await totpCode(secret);
  const confirmed = await device.call('POST', `${totpPath}/confirm`, { session, body: { otp: code } });
  t.equal(confirmed.statusCode, 200);
  const codes = confirmed.json().recoveryCodes as string[];
  t.equal(codes.length, 10);
  t.equal(new Set(codes).size, 10);
  for (const c of codes) t.match(c, /^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$/);
  const active = await userRow(identity, user.id);
  t.match(active, { mfa_enabled: true, totp_pending_secret_enc: null });
  t.same(active.totp_secret_enc, pending.totp_pending_secret_enc, 'the pending secret became the active one');
  const stored = await identity.query<{ n: number }>('SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL', [user.id]);
  t.equal(stored[0]?.n, 10);
  const [enabled] = await outboxData(identity, 'identity.mfa.enabled');
  t.same(enabled?.data, { userId: user.id, method: 'totp' });
  t.match(enabled?.actor, { userId: user.id, sessionId: session.sessionId });

  const replay = await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword, otp: code } });
  t.equal(replay.statusCode, 401, 'the confirming code cannot log in');
  t.equal(replay.json().code, 'identity.invalid_otp');
  const again = await device.call('POST', totpPath, { session });
  t.equal(again.statusCode, 409, 'no new secret while TOTP is on');
  t.equal(again.json().code, 'identity.mfa_already_enabled');
  t.equal((await device.call('POST', `${totpPath}/confirm`, { session, body: { otp: await totpCode(secret, 30) } })).statusCode, 422, 'nothing pending any more');
});

t.test('login with TOTP: required, wrong, a code once, a recovery code once', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session } = await signedInUser(identity);
  const { secret, recoveryCodes } = await enrol(device, session);
  const login = (otp?: string) => device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword, ...(otp ? { otp } : {}) } });

  const missing = await login();
  t.equal(missing.statusCode, 401);
  t.equal(missing.json().code, 'identity.mfa_required');
  t.match(missing.headers['www-authenticate'], /^DPoP /);
  const wrong = await login(await wrongCode(secret));
  t.equal(wrong.statusCode, 401);
  t.equal(wrong.json().code, 'identity.invalid_otp');

  // The confirming code spent the current step; the authenticator's next one is accepted.
  const code = await totpCode(secret, 30);
  const ok = await login(code);
  t.equal(ok.statusCode, 200);
  t.equal(ok.json().user.mfaEnabled, true);
  const replay = await login(code);
  t.equal(replay.statusCode, 401, 'a code is accepted once');
  t.equal(replay.json().code, 'identity.invalid_otp');

  t.equal((await login(recoveryCodes[0])).statusCode, 200);
  const reused = await login(recoveryCodes[0]);
  t.equal(reused.statusCode, 401, 'a recovery code is accepted once');
  t.equal(reused.json().code, 'identity.invalid_otp');
  t.equal((await login(recoveryCodes[1]!.replace('-', '').toLowerCase())).statusCode, 200, 'typed without the dash, in lower case');
});

t.test('wrong one-time codes at login count toward the lockout', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session } = await signedInUser(identity);
  const { secret, recoveryCodes } = await enrol(device, session);
  const bad = await wrongCode(secret);
  for (let i = 0; i < 4; i++) {
    const res = await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword, otp: bad } });
    t.equal(res.json().code, 'identity.invalid_otp');
  }
  const fifth = await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword, otp: bad } });
  t.equal(fifth.statusCode, 423);
  t.ok(Number(fifth.headers['retry-after']) > 800);
  const right = await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword, otp: recoveryCodes[0] } });
  t.equal(right.statusCode, 423, 'even a right code while locked');
  const sms = await device.call('POST', smsPath, { body: { email: body.email, password: strongPassword } });
  t.equal(sms.statusCode, 423, 'and the SMS request, which shares the lock');
});

t.test('SMS fallback: login errors, nothing for accounts without TOTP, a code accepted once', async (t) => {
  const identity = await openIdentity(t);
  const plain = await signedInUser(identity);
  const stranger = await identity.device();
  const noTotp = await stranger.call('POST', smsPath, { body: { email: plain.body.email, password: strongPassword } });
  t.equal(noTotp.statusCode, 202);
  t.equal(noTotp.body, '');

  const { body, device, session, user } = await signedInUser(identity, { phone: '+264817654321' });
  await enrol(device, session);
  const noProof = await identity.app.inject({ method: 'POST', url: smsPath, payload: { email: body.email, password: strongPassword } });
  t.equal(noProof.statusCode, 401);
  t.equal(noProof.json().code, 'auth.invalid_dpop_proof');
  const wrong = await stranger.call('POST', smsPath, { body: { email: body.email, password: `${strongPassword}!` } });
  const unknown = await stranger.call('POST', smsPath, { body: { email: newUser().email, password: strongPassword } });
  t.equal(wrong.statusCode, 401);
  t.equal(wrong.json().code, 'identity.invalid_credentials');
  t.equal(unknown.json().code, 'identity.invalid_credentials');
  t.same(await smsMessages(identity), [], 'nothing sent so far');

  const sent = await stranger.call('POST', smsPath, { body: { email: body.email, password: strongPassword } });
  t.equal(sent.statusCode, 202);
  const [message, ...more] = await smsMessages(identity);
  t.same(more, []);
  t.same(message?.to, { phone: '+264817654321' });
  const code = message!.data.code!;
  t.match(code, /^\d{6}$/);
  const [row] = await identity.query<{ code_hash: Buffer; ttl: number }>(
    'SELECT code_hash, extract(epoch FROM expires_at - created_at)::int AS ttl FROM sms_codes WHERE user_id = $1',
    [user.id],
  );
  t.equal(row?.ttl, 600, 'valid 10 minutes');
  t.notOk(row?.code_hash.toString('latin1').includes(code), 'stored hashed');

  const login = (otp: string) => stranger.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword, otp } });
  t.equal((await login(code)).statusCode, 200);
  const reused = await login(code);
  t.equal(reused.statusCode, 401, 'single use');
  t.equal(reused.json().code, 'identity.invalid_otp');
});

t.test('SMS codes are rate-limited per user: one a minute, five an hour, one live code; the answer is 202 regardless', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session, user } = await signedInUser(identity);
  await enrol(device, session);
  const request = () => device.call('POST', smsPath, { body: { email: body.email, password: strongPassword } });
  const age = (interval: string) => identity.query(`UPDATE sms_codes SET created_at = created_at - $1::interval WHERE user_id = $2`, [interval, user.id]);

  // Five: like login, more attempts in flight than the lockout allows are refused (423).
  const burst = await Promise.all(Array.from({ length: 5 }, request));
  t.same(burst.map((r) => r.statusCode), [202, 202, 202, 202, 202]);
  t.equal((await smsMessages(identity)).length, 1, 'a parallel burst sends one code');
  t.equal((await request()).statusCode, 202);
  t.equal((await smsMessages(identity)).length, 1, 'nothing more within the minute');

  for (let sentSoFar = 1; sentSoFar < 5; sentSoFar++) {
    await age('61 seconds');
    await request();
  }
  t.equal((await smsMessages(identity)).length, 5);
  await age('61 seconds');
  t.equal((await request()).statusCode, 202);
  t.equal((await smsMessages(identity)).length, 5, 'the sixth within the hour is not sent');

  const codes = (await smsMessages(identity)).map((m) => m.data.code!);
  const login = (otp: string) => device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword, otp } });
  const older = codes.slice(0, -1).find((c) => c !== codes.at(-1))!;
  t.equal((await login(older)).statusCode, 401, 'a newer code retires the older ones');
  t.equal((await login(codes.at(-1)!)).statusCode, 200);

  await age('1 hour');
  await request();
  t.equal((await smsMessages(identity)).length, 6, 'an hour later codes are sent again');
  const [{ n } = { n: -1 }] = await identity.query<{ n: number }>('SELECT count(*)::int AS n FROM sms_codes WHERE user_id = $1', [user.id]);
  t.equal(n, 1, 'rows older than the window are dropped');
});

t.test('turning TOTP off asks for a current factor and clears every factor', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session, user } = await signedInUser(identity);
  const { secret, recoveryCodes } = await enrol(device, session);
  const off = (otp: string) => device.call('DELETE', totpPath, { session, body: { otp } });

  t.equal((await identity.app.inject({ method: 'DELETE', url: totpPath, payload: { otp: '123456' } })).statusCode, 401);
  const wrong = await off(await wrongCode(secret));
  t.equal(wrong.statusCode, 422);
  t.equal(wrong.json().code, 'identity.invalid_otp');
  await device.login(body.email, strongPassword, { otp: recoveryCodes[0] });
  t.equal((await off(recoveryCodes[0]!)).statusCode, 422, 'a spent recovery code is no factor');
  t.equal((await userRow(identity, user.id)).mfa_enabled, true);

  t.equal((await off(await totpCode(secret, 30))).statusCode, 204, 'a TOTP code');
  const cleared = await userRow(identity, user.id);
  t.same(cleared, { mfa_enabled: false, totp_secret_enc: null, totp_pending_secret_enc: null, totp_last_step: null });
  const [disabled] = await outboxData(identity, 'identity.mfa.disabled');
  t.same(disabled?.data, { userId: user.id, method: 'totp' });
  const plainLogin = await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword } });
  t.equal(plainLogin.statusCode, 200, 'login asks for no code');
  t.equal(plainLogin.json().user.mfaEnabled, false);
  const after = plainLogin.json() as Session;
  t.equal((await off(recoveryCodes[1]!)).statusCode, 422, 'the old recovery codes are gone');

  // On again, then off with a recovery code; unused SMS codes go too.
  const second = await enrol(device, after);
  t.equal((await device.call('POST', smsPath, { body: { email: body.email, password: strongPassword } })).statusCode, 202);
  t.equal((await device.call('DELETE', totpPath, { session: after, body: { otp: second.recoveryCodes[3] } })).statusCode, 204, 'a recovery code');
  const left = await identity.query<{ table: string; n: number }>(
    `SELECT 'recovery' AS table, count(*)::int AS n FROM recovery_codes WHERE user_id = $1
     UNION ALL SELECT 'sms', count(*)::int FROM sms_codes WHERE user_id = $1 AND used_at IS NULL`,
    [user.id],
  );
  t.same(left, [{ table: 'recovery', n: 0 }, { table: 'sms', n: 0 }]);
  t.equal((await outboxData(identity, 'identity.mfa.disabled')).length, 2);
});

t.test('wrong codes when turning TOTP off count toward the lockout, like a login', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session } = await signedInUser(identity);
  const { secret, recoveryCodes } = await enrol(device, session);
  const bad = await wrongCode(secret);
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push((await device.call('DELETE', totpPath, { session, body: { otp: bad } })).statusCode);
  t.same(answers, [422, 422, 422, 422, 423]);
  t.equal((await device.call('DELETE', totpPath, { session, body: { otp: recoveryCodes[0] } })).statusCode, 423, 'locked, even for a right code');
  t.equal((await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword, otp: recoveryCodes[0] } })).statusCode, 423);
});
