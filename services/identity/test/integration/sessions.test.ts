import { signDpopProof } from '@elcorp/auth';
import t from 'tap';
import { openIdentity, publicBaseUrl, signedInUser } from './client.js';

t.test('refresh rotates; a lost response is fetched again within 10 s; reuse revokes the session', async (t) => {
  const identity = await openIdentity(t);
  const { device, session } = await signedInUser(identity);
  const first = await device.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
  t.equal(first.statusCode, 200);
  const pair = first.json();
  t.not(pair.refreshToken, session.refreshToken);
  t.equal(pair.sessionId, session.sessionId);

  const retry = await device.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
  t.equal(retry.statusCode, 200, 'a retry with the same device key inside the window');
  t.same(retry.json(), pair, 'returns the same successor pair');

  const thief = await identity.device();
  const stolen = await thief.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
  t.equal(stolen.statusCode, 401);
  t.equal(stolen.json().code, 'identity.refresh_token_reused');

  const after = await device.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: pair.refreshToken } });
  t.equal(after.statusCode, 401, 'the whole family is dead');
  t.equal(after.json().code, 'identity.invalid_refresh_token');
  const me = await device.call('GET', '/api/v1/auth/sessions', { session: pair });
  t.equal(me.statusCode, 401, 'its access tokens too');
  t.equal(me.json().code, 'auth.invalid_token');
  t.equal(await identity.redisValue(`revoked-session:${session.sessionId}`), '1', 'the gateway deny-list has it at once');

  const unknown = await device.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: 'x'.repeat(43) } });
  t.equal(unknown.json().code, 'identity.invalid_refresh_token');
});

t.test('the same refresh token fired 50 times at once leaves at most one successor family alive', async (t) => {
  const identity = await openIdentity(t);
  const { device, session } = await signedInUser(identity);
  const answers = await Promise.all(
    Array.from({ length: 50 }, () => device.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })),
  );
  const ok = answers.filter((r) => r.statusCode === 200).map((r) => r.json().refreshToken as string);
  t.ok(ok.length >= 1, `${ok.length} answered 200`);
  t.equal(new Set(ok).size, 1, 'every 200 carries the one successor');
  t.ok(answers.every((r) => r.statusCode === 200), 'a same-device burst inside the window is a retry, not a reuse');
  const rows = await identity.query<{ n: number }>('SELECT count(*)::int AS n FROM refresh_tokens WHERE spent_at IS NULL');
  t.equal(rows[0]?.n, 1, 'exactly one live refresh token');
});

t.test('a refresh with another device key is refused and does not spend the token', async (t) => {
  const identity = await openIdentity(t);
  const { device, session } = await signedInUser(identity);
  const other = await identity.device();
  const wrongKey = await other.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
  t.equal(wrongKey.statusCode, 401);
  t.equal(wrongKey.json().code, 'identity.invalid_refresh_token');
  t.equal((await device.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })).statusCode, 200);
});

t.test('sessions: list marks the current one; revoke one; logout', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session } = await signedInUser(identity);
  const phone = await identity.device();
  const second = await phone.login(body.email, body.password, { deviceName: 'Pixel 9' });

  const list = await device.call('GET', '/api/v1/auth/sessions', { session });
  t.equal(list.statusCode, 200);
  const items = list.json().items as Array<{ id: string; current: boolean; deviceName: string; jkt: string }>;
  t.equal(items.length, 2);
  t.match(items.find((s) => s.id === session.sessionId), { current: true, jkt: device.key.jkt });
  t.match(items.find((s) => s.id === second.sessionId), { current: false, deviceName: 'Pixel 9', jkt: phone.key.jkt });

  t.equal((await device.call('DELETE', `/api/v1/auth/sessions/${second.sessionId}`, { session })).statusCode, 204);
  t.equal((await phone.call('GET', '/api/v1/auth/sessions', { session: second })).statusCode, 401, 'the revoked session is refused at once');
  const missing = await device.call('DELETE', `/api/v1/auth/sessions/${second.sessionId}`, { session });
  t.equal(missing.statusCode, 404);
  const stranger = await signedInUser(identity);
  t.equal((await stranger.device.call('DELETE', `/api/v1/auth/sessions/${session.sessionId}`, { session: stranger.session })).statusCode, 404, "another user's session is not found");

  t.equal((await device.call('POST', '/api/v1/auth/logout', { session })).statusCode, 204);
  t.equal((await device.call('GET', '/api/v1/auth/sessions', { session })).statusCode, 401);
});

t.test('authenticated calls refuse Bearer, proofs of another key, replayed proofs and stale proofs', async (t) => {
  const identity = await openIdentity(t);
  const { device, session } = await signedInUser(identity);
  const url = `${publicBaseUrl}/api/v1/auth/sessions`;
  const proof = await signDpopProof(device.key, { method: 'GET', url, accessToken: session.accessToken });
  const send = (headers: Record<string, string>) => identity.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers });
  t.equal((await send({ authorization: `DPoP ${session.accessToken}`, dpop: proof })).statusCode, 200);
  const replayed = await send({ authorization: `DPoP ${session.accessToken}`, dpop: proof });
  t.equal(replayed.json().code, 'auth.invalid_dpop_proof', 'replayed proof');
  const bearer = await send({ authorization: `Bearer ${session.accessToken}`, dpop: await signDpopProof(device.key, { method: 'GET', url, accessToken: session.accessToken }) });
  t.equal(bearer.json().code, 'auth.invalid_token', 'Bearer downgrade');
  const other = await identity.device();
  const foreign = await send({ authorization: `DPoP ${session.accessToken}`, dpop: await signDpopProof(other.key, { method: 'GET', url, accessToken: session.accessToken }) });
  t.equal(foreign.json().code, 'auth.invalid_dpop_proof', 'a proof from another key');
  const stale = await send({ authorization: `DPoP ${session.accessToken}`, dpop: await signDpopProof(device.key, { method: 'GET', url, accessToken: session.accessToken, iatSeconds: Math.floor(Date.now() / 1000) - 120 }) });
  t.equal(stale.json().code, 'auth.invalid_dpop_proof', 'stale iat');
  t.match(stale.headers['www-authenticate'], /DPoP error="invalid_dpop_proof"/);
});

t.test('JWKS serves the current and the previous key; rotation keeps old tokens valid', async (t) => {
  const identity = await openIdentity(t);
  const { device, session } = await signedInUser(identity);
  const before = (await identity.app.inject('/.well-known/jwks.json')).json();
  t.equal(before.keys.length, 1);
  t.match(before.keys[0], { kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
  t.notOk('d' in before.keys[0], 'no private part');

  await identity.rotateKeys();
  const after = (await identity.app.inject('/.well-known/jwks.json')).json();
  t.equal(after.keys.length, 2);
  t.ok(after.keys.some((k: { kid: string }) => k.kid === before.keys[0].kid), 'the previous key is still published');
  t.equal((await device.call('GET', '/api/v1/auth/sessions', { session })).statusCode, 200, 'a token of the old key still works');
  const fresh = await device.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
  const kid = JSON.parse(Buffer.from(fresh.json().accessToken.split('.')[0], 'base64url').toString()).kid;
  t.not(kid, before.keys[0].kid, 'new tokens use the new key');
});

t.test('a spent token keeps its sealed successor only through the retry window', async (t) => {
  const { createDatabase } = await import('@elcorp/db');
  const { testConfig } = await import('@elcorp/testing');
  const { purgeExpiredSecrets } = await import('../../src/application/maintenance.js');
  const identity = await openIdentity(t);
  const { device, session } = await signedInUser(identity);
  t.equal((await device.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })).statusCode, 200);
  await identity.query("UPDATE refresh_tokens SET spent_at = spent_at - interval '1 minute' WHERE spent_at IS NOT NULL");
  const database = createDatabase<import('../../src/infrastructure/db/schema.js').IdentityDB>({ url: testConfig.databaseUrl, schema: identity.schema });
  t.teardown(() => database.close());
  t.ok((await purgeExpiredSecrets(database.db)) >= 1);
  const sealed = await identity.query<{ n: number }>('SELECT count(*)::int AS n FROM refresh_tokens WHERE successor_enc IS NOT NULL');
  t.equal(sealed[0]?.n, 0, 'no sealed successor is left at rest');
});
