import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { cachedTokenVerifier, remoteJwks, verifyAccessToken, type JwksLogger, type RemoteJwksOptions } from '../src/index.js';

const logger: JwksLogger = { warn: () => undefined };
const jkt = 'device-thumbprint';

const issuer = await generateKeyPair('ES256', { extractable: true });
const issuerJwk: JWK = { ...(await exportJWK(issuer.publicKey)), kid: 'test-issuer', alg: 'ES256', use: 'sig' };
async function mint(header: Record<string, unknown> = {}, key: CryptoKey = issuer.privateKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: 'elcorp-identity', aud: 'elcorp', sub: randomUUID(), sid: randomUUID(), jti: randomUUID(), iat: now, exp: now + 900, roles: ['user'], cnf: { jkt } };
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'test-issuer', ...header }).sign(key);
}

/** identity's JWKS client as the fleet configures it (30 s between refetches, 5 min of age), over `fetch`. */
function testJwks(options: Pick<RemoteJwksOptions, 'fetch'> & Partial<RemoteJwksOptions>) {
  return remoteJwks({ url: 'http://jwks.test/.well-known/jwks.json', refreshMinIntervalMs: 30_000, fetchTimeoutMs: 1_000, maxAgeMs: 300_000, logger, ...options });
}

t.test('an unknown kid refreshes the set at most once per interval', async (t) => {
  let now = 1_000_000;
  let served: JWK[] = [];
  const fetches: string[] = [];
  const jwks = testJwks({
    now: () => now,
    fetch: async (url) => {
      fetches.push(String(url));
      return Response.json({ keys: served });
    },
  });
  const keys = jwks.getKey;
  const rotated = await generateKeyPair('ES256', { extractable: true });
  const rotatedJwk: JWK = { ...(await exportJWK(rotated.publicKey)), kid: 'rotated', alg: 'ES256' };
  const oldToken = await mint();
  const newToken = await mint({ kid: 'rotated' }, rotated.privateKey);

  t.notOk(jwks.loaded());
  served = [issuerJwk];
  await verifyAccessToken(oldToken, { keys });
  t.equal(fetches.length, 1, 'first use fetches the set');
  t.ok(jwks.loaded());
  served = [issuerJwk, rotatedJwk];
  await t.rejects(verifyAccessToken(newToken, { keys }), { code: 'auth.invalid_token' }, 'a kid met within the interval is refused');
  await t.rejects(verifyAccessToken(newToken, { keys }), { code: 'auth.invalid_token' });
  t.equal(fetches.length, 1, 'made-up kids do not hammer identity');
  now += 30_000;
  t.equal((await verifyAccessToken(newToken, { keys })).cnf.jkt, jkt, 'after the interval a rotation is picked up');
  t.equal(fetches.length, 2);
  await verifyAccessToken(oldToken, { keys });
  t.equal(fetches.length, 2, 'known kids are served from the cache');
});

t.test('a stale set is refreshed in the background, and keeps serving while identity is away', async (t) => {
  let now = 0;
  let up = true;
  let fetches = 0;
  const { getKey: keys } = testJwks({
    maxAgeMs: 60_000,
    now: () => now,
    fetch: async () => {
      fetches += 1;
      if (!up) throw new TypeError('fetch failed');
      return Response.json({ keys: [issuerJwk, { ...issuerJwk, kid: 'private', d: 'AAAA' }, { kty: 'RSA', kid: 'rsa', n: 'x', e: 'AQAB' }] });
    },
  });
  const token = await mint();
  await verifyAccessToken(token, { keys });
  up = false;
  now += 61_000;
  await verifyAccessToken(token, { keys });
  t.equal(fetches, 2, 'the stale set was re-fetched');
  t.equal((await verifyAccessToken(token, { keys })).cnf.jkt, jkt, 'the cached key still verifies while identity is down');
  await t.rejects(verifyAccessToken(await mint({ kid: 'private' }), { keys }), { code: 'auth.invalid_token' }, 'a private key in the set is never imported');
});

t.test('readiness: not loaded while identity is away, loaded once it answers; failed fetches are spaced', async (t) => {
  let now = 0;
  let up = false;
  let fetches = 0;
  const jwks = testJwks({
    now: () => now,
    fetch: async () => {
      fetches += 1;
      if (!up) throw new TypeError('fetch failed');
      return Response.json({ keys: [issuerJwk] });
    },
  });
  await t.rejects(jwks.ensureLoaded(), 'identity away: no keys');
  await t.rejects(jwks.ensureLoaded(), /no JWKS loaded/, 'a second probe within a second does not fetch again');
  t.equal(fetches, 1);
  up = true;
  now += 1_000;
  await jwks.ensureLoaded();
  t.ok(jwks.loaded());
  await jwks.ensureLoaded();
  t.equal(fetches, 2, 'a loaded set is not fetched again for readiness');
});

t.test('a body over the size cap or with too many keys is refused, never half-used', async (t) => {
  const big = testJwks({
    refreshMinIntervalMs: 0,
    fetch: async () => new Response(JSON.stringify({ keys: [issuerJwk], padding: 'x'.repeat(70 * 1024) })),
  });
  await t.rejects(big.ensureLoaded(), /larger than/);
  const many = testJwks({
    refreshMinIntervalMs: 0,
    fetch: async () => Response.json({ keys: Array.from({ length: 33 }, (_, i) => ({ ...issuerJwk, kid: `k${i}` })) }),
  });
  await t.rejects(many.ensureLoaded());
  t.notOk(many.loaded());
});

t.test('a key identity withdraws takes its cached verdicts with it at the next fetch of the set', async (t) => {
  let now = 1_000_000;
  let served: JWK[] = [issuerJwk];
  let fetches = 0;
  const jwks = testJwks({
    now: () => now,
    fetch: async () => {
      fetches += 1;
      return Response.json({ keys: served });
    },
  });
  const tokens = cachedTokenVerifier(jwks.getKey, { publishes: jwks.publishes });
  const uncheckedTokens = cachedTokenVerifier(jwks.getKey);
  const leaked = await mint();
  t.equal((await tokens.verify(leaked)).cnf.jkt, jkt);
  await uncheckedTokens.verify(leaked);
  t.ok(tokens.known?.(leaked), 'verified once, then answered from the cache');
  t.ok(jwks.publishes('test-issuer'));
  t.notOk(jwks.publishes('made-up'));

  served = []; // identity withdrew the key
  now += 300_001; // the set's age passes: the next look refreshes it in the background
  t.ok(tokens.known?.(leaked), 'until the set is fetched again, the cached verdict stands');
  // A token of an unknown kid joins that fetch: once it is refused, the new set is in.
  await t.rejects(verifyAccessToken(await mint({ kid: 'made-up' }), { keys: jwks.getKey }), { code: 'auth.invalid_token' });
  t.equal(fetches, 2, 'one fetch: the background one, joined');
  t.notOk(jwks.publishes('test-issuer'));
  t.equal(tokens.known?.(leaked), undefined, 'the verdict of a withdrawn key is gone');
  await t.rejects(tokens.verify(leaked), { code: 'auth.invalid_token' }, 'and the token is refused');
  t.ok(uncheckedTokens.known?.(leaked), 'without `publishes`, a verdict would live until the token expires');
});

t.test('withdraw: the kids stop verifying at once, cached verdicts included, and a set that still lists them does not bring them back', async (t) => {
  let now = 0;
  let fetches = 0;
  const other = await generateKeyPair('ES256', { extractable: true });
  const otherJwk: JWK = { ...(await exportJWK(other.publicKey)), kid: 'other', alg: 'ES256' };
  // An identity replica that has not read its key ring since the withdrawal still lists the key.
  const jwks = testJwks({
    now: () => now,
    fetch: async () => {
      fetches += 1;
      return Response.json({ keys: [issuerJwk, otherJwk] });
    },
  });
  // The tokens carry real times; the set's clock starts at 0 and moves with the verdicts'.
  const tokens = cachedTokenVerifier(jwks.getKey, { publishes: jwks.publishes, now: () => Date.now() + now });
  const leaked = await mint();
  const kept = await mint({ kid: 'other' }, other.privateKey);
  await tokens.verify(leaked);
  await tokens.verify(kept);
  t.ok(tokens.known?.(leaked), 'verdict cached');

  jwks.withdraw(['test-issuer']);
  t.notOk(jwks.publishes('test-issuer'));
  t.notOk(tokens.known?.(leaked), 'its cached verdict is gone at once, no fetch needed');
  await t.rejects(tokens.verify(leaked), { code: 'auth.invalid_token' }, 'and the token no longer verifies');
  t.ok(tokens.known?.(kept), 'the other key is untouched');
  t.equal(fetches, 1);

  now += 300_001; // old enough: the next look fetches the set again, which still lists the key
  jwks.publishes('other');
  await t.rejects(async () => jwks.getKey({ alg: 'ES256', kid: 'made-up' }, { payload: '', signature: '' }), 'the unknown kid waits for that fetch');
  t.equal(fetches, 2);
  await t.rejects(verifyAccessToken(leaked, { keys: jwks.getKey }), { code: 'auth.invalid_token' }, 'a fetched set does not trust a withdrawn kid again');
  t.notOk(jwks.publishes('test-issuer'));
  t.equal((await verifyAccessToken(kept, { keys: jwks.getKey })).cnf.jkt, jkt);
  jwks.withdraw(['never-published']);
  t.ok(jwks.publishes('other'), 'withdrawing a kid the set never had changes nothing');
});

t.test('withdraw with the key that replaced them: its tokens need not wait out the refetch interval, even if the first set fetched lacks it', async (t) => {
  let now = 0;
  const fetches: number[] = [];
  const replacement = await generateKeyPair('ES256', { extractable: true });
  const replacementJwk: JWK = { ...(await exportJWK(replacement.publicKey)), kid: 'replacement', alg: 'ES256' };
  let served: JWK[] = [issuerJwk];
  const jwks = testJwks({
    now: () => now,
    fetch: async () => {
      fetches.push(now);
      return Response.json({ keys: served });
    },
  });
  await verifyAccessToken(await mint(), { keys: jwks.getKey });
  now += 5_000; // well inside the 30 s between refetches
  jwks.withdraw(['test-issuer'], 'replacement');
  const fresh = await mint({ kid: 'replacement' }, replacement.privateKey);
  // The identity replica asked first has not re-read its key ring yet.
  await t.rejects(verifyAccessToken(fresh, { keys: jwks.getKey }), { code: 'auth.invalid_token' });
  t.same(fetches, [0, 5_000], 'fetched at once, though the last fetch was 5 s ago');
  served = [replacementJwk];
  now += 500;
  await t.rejects(verifyAccessToken(fresh, { keys: jwks.getKey }), { code: 'auth.invalid_token' }, 'not sooner than the failure pace');
  now += 500;
  t.equal((await verifyAccessToken(fresh, { keys: jwks.getKey })).cnf.jkt, jkt, 'a second later the new key is in');
  t.same(fetches, [0, 5_000, 6_000]);
  now += 1_000;
  await t.rejects(verifyAccessToken(await mint({ kid: 'made-up' }), { keys: jwks.getKey }));
  t.equal(fetches.length, 3, 'once it is in, made-up kids wait out the interval again');
});

t.test('an announced key that never appears is awaited for a minute, not for ever', async (t) => {
  let now = 0;
  let fetches = 0;
  const jwks = testJwks({
    now: () => now,
    fetch: async () => {
      fetches += 1;
      return Response.json({ keys: [issuerJwk] });
    },
  });
  await jwks.ensureLoaded();
  jwks.withdraw([], 'never-served');
  const madeUp = await mint({ kid: 'never-served' });
  for (let second = 0; second < 90; second += 1) {
    now += 1_000;
    await t.rejects(verifyAccessToken(madeUp, { keys: jwks.getKey }));
  }
  t.equal(fetches, 1 + 60 + 1, 'the first, one a second for the minute, then the next only 30 s later');
});
