import t from 'tap';
import { ElcorpClient, ElcorpNetworkError, MemoryDeviceKeyStore, MemoryTokenStore } from '../src/index.js';
import { newUser, openIdentity, recordingFetch, type LiveIdentity } from './helpers.js';

const refreshPath = '/api/v1/auth/refresh';
const fifteenMinutesMs = 15 * 60 * 1000;

async function signedIn(identity: LiveIdentity, options: { fetch?: typeof fetch; clock?: () => number } = {}) {
  const tokenStore = new MemoryTokenStore();
  const client = new ElcorpClient({ baseUrl: identity.baseUrl, tokenStore, ...options });
  const input = newUser();
  const user = await client.register(input);
  await client.login({ email: input.email, password: input.password });
  return { client, tokenStore, user };
}

t.test('calls made together after expiry share one refresh (proactive, by the clock)', async (t) => {
  const identity = await openIdentity(t);
  const recorder = recordingFetch();
  let now = Date.now();
  const { client, tokenStore, user } = await signedIn(identity, { fetch: recorder.fetch, clock: () => now });
  const before = (await tokenStore.load())!;
  t.equal(before.expiresAt, now + 900_000, 'expiry from expiresIn');

  now += fifteenMinutesMs;
  const answers = await Promise.all([client.me(), client.me(), client.listSessions(), client.getUser(user.id), client.me()]);
  t.equal(answers.length, 5, 'every call succeeded');
  t.equal(recorder.count(refreshPath), 1, 'one refresh for five calls');
  t.not((await tokenStore.load())!.accessToken, before.accessToken);
  t.equal(recorder.count('/api/v1/users/me'), 3, 'no call was sent twice');

  now += 60_000;
  await client.me();
  t.equal(recorder.count(refreshPath), 1, 'a fresh token is not refreshed again');
});

t.test('calls refused with auth.invalid_token share one refresh and are each retried once', async (t) => {
  const identity = await openIdentity(t);
  const deviceKeyStore = new MemoryDeviceKeyStore();
  const tokenStore = new MemoryTokenStore();
  const first = new ElcorpClient({ baseUrl: identity.baseUrl, deviceKeyStore, tokenStore });
  const input = newUser();
  await first.register(input);
  await first.login({ email: input.email, password: input.password });
  const good = (await tokenStore.load())!;
  // The server no longer takes the access token (a bad signature here); the refresh token still works.
  await tokenStore.save({ ...good, accessToken: `${good.accessToken.slice(0, -6)}AAAAAA` });

  const recorder = recordingFetch();
  const client = new ElcorpClient({ baseUrl: identity.baseUrl, deviceKeyStore, tokenStore, fetch: recorder.fetch });
  const [me, again, sessions] = await Promise.all([client.me(), client.me(), client.listSessions()]);
  t.equal(me.email, input.email);
  t.equal(again.email, input.email);
  t.equal(sessions.items.length, 1);
  t.equal(recorder.count(refreshPath), 1, 'one refresh for three refused calls');
  t.equal(recorder.count('/api/v1/users/me'), 4, 'each refused call was sent again once');
  t.equal(recorder.count('/api/v1/auth/sessions'), 2);
  t.not((await tokenStore.load())!.accessToken, good.accessToken, 'a new pair');
});

t.test('a refresh whose answer is lost is asked again within the retry window and gets the same pair', async (t) => {
  const identity = await openIdentity(t);
  let dropped: string | undefined;
  const lossy: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (dropped === undefined && new URL(String(input)).pathname === refreshPath) {
      dropped = await response.text(); // the server answered; the client never sees it
      throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
    }
    return response;
  };
  const recorder = recordingFetch(lossy);
  const { client, tokenStore } = await signedIn(identity, { fetch: recorder.fetch });
  const before = (await tokenStore.load())!;

  await client.refresh();
  t.equal(recorder.count(refreshPath), 2, 'asked twice');
  const after = (await tokenStore.load())!;
  const lost = JSON.parse(dropped!) as { refreshToken: string; accessToken: string };
  t.equal(after.refreshToken, lost.refreshToken, 'the successor the server had already issued');
  t.not(after.refreshToken, before.refreshToken);
  t.match(await client.me(), { status: 'active' }, 'the session lives on');
  await client.refresh();
  t.ok(await client.isSignedIn(), 'and refreshes normally afterwards');
});

t.test('a lost refresh answer past the window is not retried (a late reuse would revoke the session)', async (t) => {
  const identity = await openIdentity(t);
  let now = Date.now();
  let drop = true;
  const slowLoss: typeof fetch = async (input, init) => {
    if (drop && new URL(String(input)).pathname === refreshPath) {
      drop = false;
      now += 20_000;
      throw new TypeError('fetch failed');
    }
    return fetch(input, init);
  };
  const recorder = recordingFetch(slowLoss);
  const { client } = await signedIn(identity, { fetch: recorder.fetch, clock: () => now });
  const failure = await client.refresh().catch((err: unknown) => err);
  t.type(failure, ElcorpNetworkError);
  t.equal(recorder.count(refreshPath), 1, 'asked once');
  t.ok(await client.isSignedIn(), 'the tokens are kept: the request may never have arrived');
  await client.refresh();
  t.ok(await client.me(), 'and this time it went through');
});
