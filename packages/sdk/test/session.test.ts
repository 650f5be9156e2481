import t from 'tap';
import { ElcorpApiError, ElcorpClient, ElcorpNotSignedInError, isCode, MemoryTokenStore, type StoredTokens } from '../src/index.js';
import { newUser, openIdentity, recordingFetch } from './helpers.js';

t.test('register, login, me, sessions, refresh, logout; a call after logout is a 401', async (t) => {
  const identity = await openIdentity(t);
  const tokenStore = new MemoryTokenStore();
  const client = new ElcorpClient({ baseUrl: `${identity.baseUrl}/`, tokenStore });
  t.equal(client.baseUrl, identity.baseUrl, 'a trailing slash is dropped');
  const input = newUser();

  const registered = await client.register(input);
  t.match(registered, { email: input.email, fullName: input.fullName, roles: ['user'], status: 'active', mfaEnabled: false });
  t.notOk(await client.isSignedIn());

  const signedIn = await client.login({ email: input.email, password: input.password, deviceName: 'SDK test' });
  t.equal(signedIn.user.id, registered.id);
  t.ok(await client.isSignedIn());
  const first = (await tokenStore.load())!;
  t.equal(first.sessionId, signedIn.sessionId, 'the pair went to the token store');

  t.match(await client.me(), { id: registered.id, email: input.email });
  const renamed = await client.updateMe({ fullName: 'Ana Nangolo' });
  t.equal(renamed.fullName, 'Ana Nangolo');

  const { items } = await client.listSessions();
  t.equal(items.length, 1);
  t.match(items[0], { id: signedIn.sessionId, current: true, deviceName: 'SDK test', jkt: await client.deviceThumbprint() });

  await client.refresh();
  const second = (await tokenStore.load())!;
  t.not(second.accessToken, first.accessToken, 'a new access token');
  t.not(second.refreshToken, first.refreshToken, 'a new refresh token');
  t.equal(second.sessionId, first.sessionId, 'the same session');
  t.equal((await client.me()).id, registered.id, 'the new pair works');

  await client.logout();
  t.notOk(await client.isSignedIn());
  t.equal(await tokenStore.load(), undefined, 'the store is cleared');
  const after = await client.me().catch((err: unknown) => err);
  t.type(after, ElcorpApiError);
  t.match(after, { status: 401, code: 'auth.invalid_token', requestId: String });
  await client.logout(); // nothing to do, no error

  // The logged-out pair, restored from a copy, is refused by the server too.
  await tokenStore.save(second);
  const revived = new ElcorpClient({ baseUrl: identity.baseUrl, tokenStore });
  await t.rejects(revived.me(), { name: 'ElcorpApiError', status: 401 }, 'another device cannot use the pair');
  await t.rejects(revived.refresh(), { code: 'identity.invalid_refresh_token' });
  t.notOk(await revived.isSignedIn(), 'the refused refresh cleared the tokens');
  await t.rejects(revived.refresh(), ElcorpNotSignedInError);
});

t.test('validation and domain failures arrive as typed problem details', async (t) => {
  const identity = await openIdentity(t);
  const client = new ElcorpClient({ baseUrl: identity.baseUrl });

  const weak = await client.register(newUser({ password: 'password' })).catch((err: unknown) => err);
  t.ok(isCode(weak, 'validation_failed'));
  if (isCode(weak, 'validation_failed')) {
    t.equal(weak.status, 422);
    t.ok(weak.errors && weak.errors.length >= 1, `errors[] lists the broken rules: ${JSON.stringify(weak.errors)}`);
    t.ok(weak.errors!.every((entry) => typeof entry.path === 'string' && entry.message.length > 0));
    t.match(weak.problem, { type: String, instance: '/api/v1/auth/register' });
  }

  const unknownField = await client
    .request('POST', '/api/v1/auth/register', { body: { ...newUser(), nickname: 'x' }, auth: false })
    .catch((err: unknown) => err);
  t.match(unknownField, { status: 422, code: 'validation_failed', errors: [{ path: 'body.nickname', message: 'unknown field' }] });

  const input = newUser();
  await client.register(input);
  await t.rejects(client.register(input), { status: 409, code: 'identity.email_taken' });
  const wrong = await client.login({ email: input.email, password: 'not the password at all' }).catch((err: unknown) => err);
  t.ok(isCode(wrong, 'identity.invalid_credentials'));
  t.notOk(isCode(wrong, 'identity.account_locked'));
  t.notOk(isCode(new Error('x'), 'identity.invalid_credentials'), 'only API errors match');
  await t.rejects(client.request('GET', '/api/v1/nowhere', { auth: false }), { status: 404, code: 'not_found' });
});

t.test('a spent refresh token used by another device: typed error, tokens cleared, session over', async (t) => {
  const identity = await openIdentity(t);
  const owner = new ElcorpClient({ baseUrl: identity.baseUrl });
  const input = newUser();
  await owner.register(input);
  await owner.login({ email: input.email, password: input.password });
  const stolen = new MemoryTokenStore();
  // Copy the pair as a thief would, then let the owner spend its refresh token.
  const recorder = recordingFetch();
  const ownerTokens = new MemoryTokenStore();
  const victim = new ElcorpClient({ baseUrl: identity.baseUrl, tokenStore: ownerTokens, fetch: recorder.fetch });
  await victim.login({ email: input.email, password: input.password });
  await stolen.save((await ownerTokens.load()) as StoredTokens);
  await victim.refresh();

  const thief = new ElcorpClient({ baseUrl: identity.baseUrl, tokenStore: stolen });
  const reused = await thief.refresh().catch((err: unknown) => err);
  t.ok(isCode(reused, 'identity.refresh_token_reused'), String(reused));
  t.notOk(await thief.isSignedIn(), 'the thief forgets the tokens');

  // The whole session is revoked: the victim's next call fails its access token, its one
  // refresh is refused, and the victim is signed out with a typed error.
  const outcome = await victim.me().catch((err: unknown) => err);
  t.match(outcome, { status: 401, code: 'identity.invalid_refresh_token' });
  t.notOk(await victim.isSignedIn());
  t.equal(recorder.count('/api/v1/auth/refresh'), 2, 'one explicit refresh and one after the 401, no more');
  t.match(await owner.me(), { email: input.email }, 'the other login is untouched');
});
