import { ElcorpApiError, ElcorpClient, MemoryDeviceKeyStore, MemoryTokenStore } from '@elcorp/sdk';
import { testRedisPrefix } from '@elcorp/testing';
import t from 'tap';
import { brokerEnv, freePortBase, startFleet, stopDeadlineMs, waitUntilReady } from './fleet-harness.js';

// The whole fleet as processes, driven only through the gateway with the SDK, as a client.
t.test('register → login → a call to each service → refresh → logout → the old token refused', async (t) => {
  const base = await freePortBase();
  const gateway = `http://127.0.0.1:${base}`;
  const redis = await testRedisPrefix(t);
  const fleet = startFleet(t, {
    ...(await brokerEnv(t)),
    FLEET_PORT_BASE: String(base),
    PUBLIC_BASE_URL: gateway,
    REDIS_KEY_PREFIX: redis.prefix,
    NOTIFICATIONS_DIR: t.testdir({}),
    LOG_LEVEL: 'warn',
  });
  const { exitedEarly } = await waitUntilReady(fleet);
  t.notOk(exitedEarly, 'the fleet is up', { output: fleet.output() });

  const deviceKeys = new MemoryDeviceKeyStore();
  const tokens = new MemoryTokenStore();
  const client = new ElcorpClient({ baseUrl: gateway, deviceKeyStore: deviceKeys, tokenStore: tokens });
  const email = `journey-${Date.now()}-${process.pid}@example.na`;
  const password = 'correct horse battery staple 42';
  const user = await client.register({ email, password, fullName: 'Ndapewa Shikongo', phone: '+264811234567', agreedTerms: true });
  t.match(user, { email, status: 'active', roles: ['user'] });
  const login = await client.login({ email, password, deviceName: 'e2e' });
  t.equal(login.user.id, user.id);
  t.equal((await client.me()).id, user.id, 'identity through the gateway');

  // The other services have no public routes yet: each answers its own 404 problem through
  // the gateway, which proves the route, the token check and the proxy all the way there.
  for (const service of ['payments', 'governance', 'compliance']) {
    const err = await client.request('GET', `/api/v1/${service}/nothing-here`).catch((e: unknown) => e);
    t.ok(err instanceof ElcorpApiError, `${service} answered`);
    t.match(err, { status: 404, code: 'not_found' }, `${service} reached`);
  }

  const before = await client.listSessions();
  const loggedIn = await tokens.load();
  await client.refresh();
  const refreshed = (await tokens.load())!;
  t.not(refreshed.accessToken, loggedIn?.accessToken, 'a new access token');
  t.not(refreshed.refreshToken, loggedIn?.refreshToken, 'a new refresh token');
  t.equal(refreshed.sessionId, before.items[0]?.id);
  t.equal(login.sessionId, refreshed.sessionId, 'the same session');
  t.equal((await client.me()).id, user.id, 'the new token works');

  const kept = { ...refreshed };
  await client.logout();
  // The same device presents the tokens it held before logging out.
  const stale = new MemoryTokenStore();
  await stale.save(kept);
  const sameDevice = new ElcorpClient({ baseUrl: gateway, deviceKeyStore: deviceKeys, tokenStore: stale });
  const refused = await sameDevice.me().catch((e: unknown) => e);
  t.ok(refused instanceof ElcorpApiError, 'the old token is refused');
  t.match(refused, { status: 401 });

  fleet.stop();
  t.same(await fleet.exitWithin(stopDeadlineMs), { code: 0, signal: null }, 'the fleet stops cleanly', { output: fleet.output() });
});
