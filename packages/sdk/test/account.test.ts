// The rest of the identity surface through the typed methods, against the real service.
import t from 'tap';
import { ElcorpClient, isCode } from '../src/index.js';
import { newUser, openIdentity, strongPassword, totp } from './helpers.js';

const newPassword = 'another long passphrase for testing 77';

t.test('MFA: set up, confirm, login needs a factor, SMS fallback, recovery code, disable', async (t) => {
  const identity = await openIdentity(t);
  const client = new ElcorpClient({ baseUrl: identity.baseUrl });
  const input = newUser();
  await client.register(input);
  await client.login({ email: input.email, password: input.password });

  const setup = await client.setupTotp();
  t.match(setup, { secret: String, otpauthUri: /^otpauth:\/\/totp\// });
  // Every digit of the current code shifted by one: well-formed, and (almost surely) no nearby step's code.
  const wrong = [...totp(setup.secret)].map((digit) => String((Number(digit) + 1) % 10)).join('');
  await t.rejects(client.confirmTotp(wrong), { status: 422, code: 'identity.invalid_otp' });
  const { recoveryCodes } = await client.confirmTotp(totp(setup.secret));
  t.equal(recoveryCodes.length, 10);
  t.equal((await client.me()).mfaEnabled, true);

  const phone = new ElcorpClient({ baseUrl: identity.baseUrl });
  const missing = await phone.login({ email: input.email, password: input.password }).catch((err: unknown) => err);
  t.ok(isCode(missing, 'identity.mfa_required'), String(missing));
  await phone.requestSmsCode({ email: input.email, password: input.password });
  const sms = (await identity.messages()).find((m) => m.template === 'mfa_sms_code');
  t.match(sms, { to: { phone: input.phone }, data: { code: /^\d{6}$/ } }, 'the code went to the phone');
  const bySms = await phone.login({ email: input.email, password: input.password, otp: sms!.data['code']!, deviceName: 'phone' });
  t.equal(bySms.user.id, (await client.me()).id);

  const tablet = new ElcorpClient({ baseUrl: identity.baseUrl });
  await tablet.login({ email: input.email, password: input.password, otp: recoveryCodes[0]! });
  const sessions = (await client.listSessions()).items;
  t.equal(sessions.length, 3);
  const tabletJkt = await tablet.deviceThumbprint();
  const tabletSession = sessions.find((s) => s.jkt === tabletJkt);
  await client.revokeSession(tabletSession!.id);
  await t.rejects(tablet.me(), { code: 'identity.invalid_refresh_token' }, 'the revoked device is signed out at its next call');
  t.notOk(await tablet.isSignedIn());
  await t.rejects(client.revokeSession(tabletSession!.id), { code: 'identity.session_not_found' });

  await client.disableTotp(recoveryCodes[1]!);
  t.equal((await client.me()).mfaEnabled, false);
});

t.test('passwords: forgot, reset, change', async (t) => {
  const identity = await openIdentity(t);
  const client = new ElcorpClient({ baseUrl: identity.baseUrl });
  const input = newUser();
  await client.register(input);

  await client.forgotPassword(input.email);
  await client.forgotPassword('nobody@example.na'); // 202 all the same
  const reset = await identity.nextMessage((m) => m.template === 'password_reset');
  t.ok(reset?.data['token'], 'a reset token in the mailbox');
  await client.resetPassword({ token: reset!.data['token']!, newPassword });
  await t.rejects(client.resetPassword({ token: reset!.data['token']!, newPassword }), { status: 400, code: 'identity.invalid_reset_token' });
  await t.rejects(client.login({ email: input.email, password: strongPassword }), { code: 'identity.invalid_credentials' });
  await client.login({ email: input.email, password: newPassword });

  await t.rejects(client.changePassword({ currentPassword: newPassword, newPassword: strongPassword }), { status: 422, code: 'identity.password_reused' });
  const third = 'a third unrelated passphrase for the sdk 91';
  await client.changePassword({ currentPassword: newPassword, newPassword: third });
  t.ok(await client.me(), 'this session survives the change');
});

t.test('users: lookup, admin list/get/unlock/erase, own erasure', async (t) => {
  const adminEmail = `admin-${process.pid}-${Date.now()}@example.na`;
  const identity = await openIdentity(t, { ELCORP_BOOTSTRAP_ADMIN_EMAIL: adminEmail });
  const admin = new ElcorpClient({ baseUrl: identity.baseUrl });
  const adminInput = newUser({ email: adminEmail });
  await admin.register(adminInput);
  t.same((await admin.login({ email: adminEmail, password: adminInput.password })).user.roles, ['admin', 'user']);

  const member = new ElcorpClient({ baseUrl: identity.baseUrl });
  const memberInput = newUser({ fullName: 'Selma Amutenya' });
  const memberUser = await member.register(memberInput);
  await member.login({ email: memberInput.email, password: memberInput.password });

  const found = await member.lookupUser(adminEmail);
  t.match(found, { id: String, displayName: String });
  await t.rejects(member.lookupUser('nobody@example.na'), { name: 'ElcorpApiError', status: 404 });
  await t.rejects(member.listUsers(), { status: 403, code: 'authz.denied' });
  await t.rejects(member.getUser(found.id), { name: 'ElcorpApiError', status: 404 }, "another user's id is hidden");

  const page = await admin.listUsers({ limit: 1 });
  t.equal(page.items.length, 1);
  t.type(page.nextCursor, 'string');
  const next = await admin.listUsers({ limit: 1, cursor: page.nextCursor! });
  t.not(next.items[0]!.id, page.items[0]!.id);
  t.match((await admin.listUsers({ q: memberInput.email })).items, [{ id: memberUser.id }]);
  t.equal((await admin.getUser(memberUser.id)).email, memberInput.email);
  await admin.unlockUser(memberUser.id);

  const victim = new ElcorpClient({ baseUrl: identity.baseUrl });
  const victimUser = await victim.register(newUser());
  t.same(await admin.eraseUser(victimUser.id), { id: victimUser.id, status: 'erased' });
  t.match(await admin.getUser(victimUser.id), { status: 'erased', email: null });

  t.same(await member.eraseMe(memberInput.password), { id: memberUser.id, status: 'erased' });
  t.notOk(await member.isSignedIn(), 'an erased account is signed out');
});
