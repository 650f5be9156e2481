// API.md, Lockout: every password or second-factor check (password change, MFA changes,
// erasure, reset) counts the same way as a login, under the count of the session's device.
import { generate } from 'otplib';
import t, { type Test } from 'tap';
import { lockoutPolicy } from '../../src/domain/lockout.js';
import { openIdentity, signedInUser, strongPassword, type Device, type Identity, type Session } from './client.js';

const loginPath = '/api/v1/auth/login';
const totpPath = '/api/v1/users/me/mfa/totp';

/** Five wrong answers on a signed-in route: the first four refuse, the fifth locks the session's device. */
async function countsOnRoute(t: Test, name: string, wrong: () => Promise<{ statusCode: number }>, refusal: number) {
  const statuses: number[] = [];
  for (let i = 0; i < lockoutPolicy.maxFailures + 1; i++) statuses.push((await wrong()).statusCode);
  const expected = [...Array.from({ length: lockoutPolicy.maxFailures - 1 }, () => refusal), 423, 423];
  t.same(statuses, expected, `${name}: every wrong answer counts, the fifth locks`);
}

async function lockedOutOfLogin(t: Test, device: Device, email: string, name: string) {
  const res = await device.call('POST', loginPath, { body: { email, password: strongPassword } });
  t.equal(res.statusCode, 423, `${name}: the same count guards that device's login`);
}

t.test('every password or second-factor check counts under the session device’s count', async (t) => {
  const identity = await openIdentity(t);

  await t.test('password change', async (t) => {
    const { body, device, session } = await signedInUser(identity);
    await countsOnRoute(t, 'password change', () => device.call('POST', '/api/v1/users/me/password', { session, body: { currentPassword: 'a wrong current one', newPassword: 'a whole new passphrase 77' } }), 401);
    await lockedOutOfLogin(t, device, body.email, 'password change');
  });

  await t.test('erasure', async (t) => {
    const { body, device, session, user } = await signedInUser(identity);
    await countsOnRoute(t, 'erasure', () => device.call('DELETE', '/api/v1/users/me', { session, body: { password: 'a wrong current one' } }), 401);
    await lockedOutOfLogin(t, device, body.email, 'erasure');
    const [row] = await identity.query<{ status: string }>('SELECT status FROM users WHERE id = $1', [user.id]);
    t.equal(row?.status, 'active', 'nothing was erased');
  });

  await t.test('MFA set-up and turning it off', async (t) => {
    const setupUser = await signedInUser(identity);
    const setup = await setupUser.device.call('POST', totpPath, { session: setupUser.session });
    const { secret } = setup.json() as { secret: string };
    const wrong = await wrongCode(secret);
    await countsOnRoute(t, 'MFA confirm', () => setupUser.device.call('POST', `${totpPath}/confirm`, { session: setupUser.session, body: { otp: wrong } }), 422);
    await lockedOutOfLogin(t, setupUser.device, setupUser.body.email, 'MFA confirm');

    const { device, session, body } = await signedInUser(identity);
    const enrolled = await enrol(device, session);
    const wrongOff = await wrongCode(enrolled);
    await countsOnRoute(t, 'MFA off', () => device.call('DELETE', totpPath, { session, body: { otp: wrongOff } }), 422);
    const res = await device.call('POST', loginPath, { body: { email: body.email, password: strongPassword, otp: await generate({ secret: enrolled }) } });
    t.equal(res.statusCode, 423, 'MFA off: the same count guards that device’s login');
  });

  await t.test('reset: a reused password is a counted answer, on a count of its own', async (t) => {
    const { body, device } = await signedInUser(identity);
    t.equal((await identity.app.inject({ method: 'POST', url: '/api/v1/auth/password/forgot', payload: { email: body.email } })).statusCode, 202);
    const token = await resetTokenFor(identity, body.email);
    const probe = () => identity.app.inject({ method: 'POST', url: '/api/v1/auth/password/reset', payload: { token, newPassword: strongPassword } });
    await countsOnRoute(t, 'reset', probe, 422);
    const blocked = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/password/reset', payload: { token, newPassword: 'a fresh passphrase nobody used 9' } });
    t.equal(blocked.statusCode, 423, 'the token probes nothing more until the lock ends');
    t.ok((await device.login(body.email, strongPassword)).accessToken, 'the reset count is apart: the owner still signs in');
    const [row] = await identity.query<{ used_at: Date | null }>('SELECT used_at FROM password_resets LIMIT 1');
    t.equal(row?.used_at, null, 'the token stays unspent');
  });
});

/** The reset token the mailbox received for `email` (the notice is sent after the answer). */
async function resetTokenFor(identity: Identity, email: string): Promise<string> {
  const message = await identity.nextMessage((m) => m.template === 'password_reset' && m.to.email === email);
  return message.data.token!;
}

async function wrongCode(secret: string): Promise<string> {
  const near = new Set(await Promise.all([-60, -30, 0, 30, 60].map((offset) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + offset }))));
  return ['000000', '111111', '222222', '333333', '444444', '555555'].find((c) => !near.has(c))!;
}

async function enrol(device: Device, session: Session): Promise<string> {
  const setup = await device.call('POST', totpPath, { session });
  const { secret } = setup.json() as { secret: string };
  const confirmed = await device.call('POST', `${totpPath}/confirm`, { session, body: { otp: await generate({ secret }) } });
  if (confirmed.statusCode !== 200) throw new Error(`confirm failed: ${confirmed.statusCode} ${confirmed.body}`);
  return secret;
}
