import { createHmac } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import t from 'tap';
import {
  AuthError,
  accessTokenHash,
  dpopTokenFrom,
  generateDeviceKey,
  signDpopProof,
  verifyAccessToken,
  verifyDpopProof,
  type ReplayGuard,
} from '../src/index.js';

const url = 'http://localhost:8080/api/v1/users/me';
const userId = '0192f0c4-0000-7000-8000-000000000001';
const sessionId = '0192f0c4-0000-7000-8000-000000000002';

function memoryReplay(): ReplayGuard {
  const seen = new Set<string>();
  return async (key) => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
}

async function signingKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { privateKey, jwk };
}

async function accessToken(key: Awaited<ReturnType<typeof signingKey>>, jkt: string) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: sessionId, roles: ["user"], cnf: { jkt } })
    .setProtectedHeader({ alg: 'ES256', kid: key.jwk.kid!, typ: 'at+jwt' })
    .setSubject(userId)
    .setIssuer('elcorp-identity')
    .setAudience('elcorp')
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 900)
    .sign(key.privateKey);
}

const reasonOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'accepted';
  } catch (err) {
    return err instanceof AuthError ? `${err.code}: ${err.reason}` : `unexpected ${String(err)}`;
  }
};

t.test('a fresh proof for the right request is accepted once', async (t) => {
  const device = await generateDeviceKey();
  const replay = memoryReplay();
  const proof = await signDpopProof(device, { method: 'GET', url: `${url}?page=2` });
  const verified = await verifyDpopProof(proof, { method: 'GET', url, replay });
  t.equal(verified.jkt, device.jkt);
  t.match(await reasonOf(verifyDpopProof(proof, { method: 'GET', url, replay })), /invalid_dpop_proof: jti replayed/);
});

t.test('every DPoP attack is refused with auth.invalid_dpop_proof', async (t) => {
  const device = await generateDeviceKey();
  const other = await generateDeviceKey();
  const token = 'header.payload.signature';
  const now = Math.floor(Date.now() / 1000);
  const check = (extra: object = {}) => ({ method: 'POST', url, replay: memoryReplay(), ...extra });
  const cases: Array<[string, Promise<string>, RegExp]> = [
    ['missing', Promise.resolve(undefined).then((p) => verifyDpopProof(p, check())).then(() => 'accepted', (e: AuthError) => e.reason), /missing/],
    ['wrong htm', signDpopProof(device, { method: 'GET', url }).then((p) => reasonOf(verifyDpopProof(p, check()))), /htm/],
    ['wrong htu', signDpopProof(device, { method: 'POST', url: 'http://evil.example/api/v1/users/me' }).then((p) => reasonOf(verifyDpopProof(p, check()))), /htu/],
    ['stale iat', signDpopProof(device, { method: 'POST', url, iatSeconds: now - 61 }).then((p) => reasonOf(verifyDpopProof(p, check()))), /iat/],
    ['future iat', signDpopProof(device, { method: 'POST', url, iatSeconds: now + 65 }).then((p) => reasonOf(verifyDpopProof(p, check()))), /iat/],
    ['wrong ath', signDpopProof(device, { method: 'POST', url, accessToken: 'another.token.here' }).then((p) => reasonOf(verifyDpopProof(p, check({ accessToken: token })))), /ath/],
    ['ath missing', signDpopProof(device, { method: 'POST', url }).then((p) => reasonOf(verifyDpopProof(p, check({ accessToken: token })))), /ath/],
    ['ath where none belongs', signDpopProof(device, { method: 'POST', url, accessToken: token }).then((p) => reasonOf(verifyDpopProof(p, check()))), /ath present/],
    ['another key than the token', signDpopProof(other, { method: 'POST', url }).then((p) => reasonOf(verifyDpopProof(p, check({ expectedJkt: device.jkt })))), /not the token key/],
    ['tampered signature', signDpopProof(device, { method: 'POST', url }).then((p) => reasonOf(verifyDpopProof(`${p.slice(0, -4)}AAAA`, check()))), /signature/],
    ['garbage', reasonOf(verifyDpopProof('not-a-jwt', check())), /malformed/],
  ];
  for (const [name, outcome, expected] of cases) t.match(await outcome, expected, name);
});

t.test('a proof with a private key, a foreign alg or a wrong typ is refused', async (t) => {
  const device = await generateDeviceKey();
  const full = await exportJWK(device.privateKey);
  const now = Math.floor(Date.now() / 1000);
  const claims = { jti: 'x', htm: 'POST', htu: url, iat: now };
  const withPrivate = await new SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: full }).sign(device.privateKey);
  t.match(await reasonOf(verifyDpopProof(withPrivate, { method: 'POST', url, replay: memoryReplay() })), /public P-256/);
  const wrongTyp = await new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'ES256', jwk: device.publicJwk }).sign(device.privateKey);
  t.match(await reasonOf(verifyDpopProof(wrongTyp, { method: 'POST', url, replay: memoryReplay() })), /typ/);
  const hs = await new SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: device.publicJwk }).sign(new TextEncoder().encode('k'.repeat(32)));
  t.match(await reasonOf(verifyDpopProof(hs, { method: 'POST', url, replay: memoryReplay() })), /alg/);
});

t.test('a proof that requires an extension, has expired, carries no object or has extra parts is refused', async (t) => {
  const device = await generateDeviceKey();
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims: object, header: object = {}) =>
    new SignJWT({ jti: `j-${Math.random()}`, htm: 'POST', htu: url, iat: now, ...claims })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: device.publicJwk, ...header })
      .sign(device.privateKey);
  const check = () => ({ method: 'POST', url, replay: memoryReplay() });
  // jose will not sign a critical extension it does not know, so this one is signed by hand.
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: device.publicJwk, crit: ['x-elcorp'], 'x-elcorp': 1 })}.${b64({ jti: 'c', htm: 'POST', htu: url, iat: now })}`;
  const raw = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, device.privateKey, new TextEncoder().encode(input));
  t.match(await reasonOf(verifyDpopProof(`${input}.${Buffer.from(raw).toString('base64url')}`, check())), /crit/);
  t.match(await reasonOf(verifyDpopProof(await sign({ exp: now - 1 }), check())), /expired/);
  t.match(await reasonOf(verifyDpopProof(await sign({ nbf: now + 30 }), check())), /not yet valid/);
  t.match(await reasonOf(verifyDpopProof(`${await sign({})}.extra`, check())), /malformed/);
  const [header, , signature] = (await sign({})).split('.');
  const array = Buffer.from('[1]').toString('base64url');
  t.match(await reasonOf(verifyDpopProof(`${header}.${array}.${signature}`, check())), /bad signature/, 'a body it did not sign');
  t.ok(await verifyDpopProof(await sign({ exp: now + 30 }), check()), 'a proof with a future exp passes');
});

t.test('access tokens: ES256 by a known key with iss, aud and exp, nothing else', async (t) => {
  const key = await signingKey('k1');
  const foreign = await signingKey('k1');
  const keys = createLocalJWKSet({ keys: [key.jwk] });
  const good = await accessToken(key, 'jkt-1');
  const claims = await verifyAccessToken(good, { keys });
  t.match(claims, { sub: userId, sid: sessionId, roles: ['user'], cnf: { jkt: 'jkt-1' } });

  const now = Math.floor(Date.now() / 1000);
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const payload = { sub: userId, sid: sessionId, jti: 'j', iat: now, exp: now + 900, iss: 'elcorp-identity', aud: 'elcorp', roles: [], cnf: { jkt: 'x' } };
  const none = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(payload)}.`;
  const hsInput = `${b64({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' })}.${b64(payload)}`;
  // The classic confusion attack: HMAC keyed with the public key's bytes.
  const hs256 = `${hsInput}.${createHmac('sha256', JSON.stringify(key.jwk)).update(hsInput).digest('base64url')}`;
  const attacks: Array<[string, string]> = [
    ['alg none', none],
    ['HS256 with the public key', hs256],
    ['a foreign signing key with a known kid', await accessToken(foreign, 'jkt-1')],
    ['expired', await new SignJWT({ ...payload, exp: now - 10 }).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }).sign(key.privateKey)],
    ['wrong audience', await new SignJWT({ ...payload, aud: 'someone-else' }).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }).sign(key.privateKey)],
    ['wrong issuer', await new SignJWT({ ...payload, iss: 'evil' }).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }).sign(key.privateKey)],
    ['unknown kid', await new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'k9', typ: 'at+jwt' }).sign(key.privateKey)],
    ['missing cnf', await new SignJWT({ ...payload, cnf: undefined }).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }).sign(key.privateKey)],
  ];
  for (const [name, token] of attacks) t.match(await reasonOf(verifyAccessToken(token, { keys })), /^auth\.invalid_token/, name);
});

t.test('the Authorization header must say DPoP', async (t) => {
  t.equal(dpopTokenFrom('DPoP abc.def.ghi'), 'abc.def.ghi');
  for (const header of [undefined, 'Bearer abc.def.ghi', 'bearer abc', 'DPoP', 'DPoP a b', 'Basic x']) {
    t.throws(() => dpopTokenFrom(header), { code: 'auth.invalid_token' }, String(header));
  }
  t.throws(() => dpopTokenFrom('Bearer abc'), /sent as Bearer/);
  t.equal(accessTokenHash('abc').length, 43);
});

t.test('the thumbprint fast path agrees with RFC 7638 as jose computes it', async (t) => {
  const { calculateJwkThumbprint } = await import('jose');
  const { jwkThumbprint } = await import('../src/index.js');
  for (let i = 0; i < 5; i++) {
    const device = await generateDeviceKey();
    t.equal(await jwkThumbprint(device.publicJwk), await calculateJwkThumbprint(device.publicJwk, 'sha256'));
  }
  const okp = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
  t.equal(await jwkThumbprint(okp), await calculateJwkThumbprint(okp, 'sha256'), 'other key types take jose');
});

t.test('a device header read once still binds every later proof: its key, its checks, its signature', async (t) => {
  const device = await generateDeviceKey();
  const other = await generateDeviceKey();
  const replay = memoryReplay();
  const first = await signDpopProof(device, { method: 'GET', url });
  const second = await signDpopProof(device, { method: 'GET', url });
  t.equal(first.split('.')[0], second.split('.')[0], 'the same header text, the same kept entry');
  t.equal((await verifyDpopProof(first, { method: 'GET', url, replay })).jkt, device.jkt);
  t.equal((await verifyDpopProof(second, { method: 'GET', url, replay })).jkt, device.jkt);
  // Another device's signature under the kept header: refused by the kept key.
  const foreign = await signDpopProof(other, { method: 'GET', url });
  const [header] = second.split('.');
  const [, payload, signature] = foreign.split('.');
  t.match(await reasonOf(verifyDpopProof(`${header}.${payload}.${signature}`, { method: 'GET', url, replay })), /bad signature/);
  t.match(await reasonOf(verifyDpopProof(await signDpopProof(device, { method: 'GET', url }), { method: 'GET', url, replay, expectedJkt: other.jkt })), /not the token key/);
  const returned = await verifyDpopProof(await signDpopProof(device, { method: 'GET', url }), { method: 'GET', url, replay });
  (returned.jwk as { x: string }).x = 'changed';
  t.equal((await verifyDpopProof(await signDpopProof(device, { method: 'GET', url }), { method: 'GET', url, replay })).jwk.x, device.publicJwk.x, 'a caller cannot alter the kept key');
});

t.test('a refused header is refused every time: nothing is kept of it', async (t) => {
  const device = await generateDeviceKey();
  const now = Math.floor(Date.now() / 1000);
  const claims = { jti: 'x', htm: 'POST', htu: url, iat: now };
  const wrongTyp = await new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'ES256', jwk: device.publicJwk }).sign(device.privateKey);
  for (let i = 0; i < 2; i++) t.match(await reasonOf(verifyDpopProof(wrongTyp, { method: 'POST', url, replay: memoryReplay() })), /typ/);
  const notAnObject = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: 'EC' })).toString('base64url');
  t.match(await reasonOf(verifyDpopProof(`${notAnObject}.e30.sig`, { method: 'POST', url, replay: memoryReplay() })), /public P-256/);
  const offCurve = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } })).toString('base64url');
  t.match(await reasonOf(verifyDpopProof(`${offCurve}.e30.sig`, { method: 'POST', url, replay: memoryReplay() })), /bad signature/);
});
