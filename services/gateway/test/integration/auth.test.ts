import { generateDeviceKey, remoteJwks, signDpopProof, type DeviceKey } from '@elcorp/auth';
import { buildApp, connectRedis, type App } from '@elcorp/kit';
import { freePort, testConfig } from '@elcorp/testing';
import type { LightMyRequestResponse } from 'fastify';
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, UnsecuredJWT, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose';
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { openIdentityUpstream, password, publicBaseUrl } from './identity-upstream.js';
import { loadGatewayConfig } from '../../src/config.js';
import { registerAdmission } from '../../src/http/admission.js';
import { registerAuthentication } from '../../src/http/authenticate.js';
import { apiContentSecurityPolicy, docsContentSecurityPolicy, registerClientAddress, registerSecurity } from '../../src/http/security.js';
import { redisRateLimiter } from '../../src/infrastructure/rate-limiter.js';

type Method = 'GET' | 'POST' | 'DELETE' | 'OPTIONS';

// One identity for the file: it issues the tokens and serves the JWKS the gateway fetches.
const { identity, identityUrl, redisPrefix, redis, logger, signIn } = await openIdentityUpstream(t);

let jwksFetches = 0;
const countingFetch: typeof fetch = (input, init) => {
  jwksFetches += 1;
  return fetch(input, init);
};

/** The gateway's admission plugins, in production order, in front of an echo upstream. */
async function gateway(options: { keys?: JWTVerifyGetKey; env?: Record<string, string> } = {}): Promise<App> {
  const config = loadGatewayConfig({
    PUBLIC_BASE_URL: publicBaseUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    IDENTITY_URL: identityUrl,
    RATE_LIMIT_PER_IP_PER_MINUTE: '100000',
    RATE_LIMIT_LOGIN_PER_HOUR: '100000',
    ...options.env,
  });
  const keys =
    options.keys ??
    remoteJwks({
      url: `${config.IDENTITY_URL}/.well-known/jwks.json`,
      refreshMinIntervalMs: config.JWKS_REFRESH_MIN_INTERVAL_MS,
      fetchTimeoutMs: config.JWKS_FETCH_TIMEOUT_MS,
      maxAgeMs: config.JWKS_MAX_AGE_MS,
      logger,
      fetch: countingFetch,
    }).getKey;
  const limiter = redisRateLimiter(redis);
  const app = await buildApp({ service: 'gateway', logger });
  await registerSecurity(app, { config });
  registerClientAddress(app, { config });
  registerAdmission(app, { keys, redis, limiter, config });
  // Stands in for the proxy: shows what an upstream would be told.
  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: '/api/v1/*',
    handler: async (request) => ({ principal: request.principal ?? null, headers: request.headers, body: request.body ?? null }),
  });
  t.teardown(() => app.close());
  return app;
}



interface CallOptions {
  token?: string;
  /** How the token is presented; DPoP unless a downgrade is being tried. */
  scheme?: string;
  proof?: string | null;
  proofFor?: { method?: string; url?: string; accessToken?: string; iatSeconds?: number; jti?: string; device?: DeviceKey };
  headers?: Record<string, string>;
  body?: object;
}

async function call(app: App, device: DeviceKey, method: Method, path: string, options: CallOptions = {}): Promise<LightMyRequestResponse> {
  const proofFor = options.proofFor ?? {};
  const accessToken = 'accessToken' in proofFor ? proofFor.accessToken : options.token;
  const proof =
    options.proof !== undefined
      ? options.proof
      : await signDpopProof(proofFor.device ?? device, {
          method: proofFor.method ?? method,
          url: proofFor.url ?? `${publicBaseUrl}${path}`,
          ...(accessToken === undefined ? {} : { accessToken }),
          ...(proofFor.iatSeconds === undefined ? {} : { iatSeconds: proofFor.iatSeconds }),
          ...(proofFor.jti === undefined ? {} : { jti: proofFor.jti }),
        });
  return app.inject({
    method,
    url: path,
    headers: {
      ...(proof === null ? {} : { dpop: proof }),
      ...(options.token === undefined ? {} : { authorization: `${options.scheme ?? 'DPoP'} ${options.token}` }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { payload: options.body }),
  });
}

function refused(t: Test, res: LightMyRequestResponse, code: 'auth.invalid_token' | 'auth.invalid_dpop_proof') {
  t.equal(res.statusCode, 401, res.body);
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal(res.json().code, code);
  const error = code === 'auth.invalid_token' ? 'invalid_token' : 'invalid_dpop_proof';
  t.equal(res.headers['www-authenticate'], `DPoP error="${error}", algs="ES256"`);
}

const app = await gateway();
const { device, session } = await signIn();
const me = '/api/v1/users/me';
const identityKid = decodeProtectedHeader(session.accessToken).kid!;

/** A test issuer for claims identity never issues (expired, foreign audience or issuer). */
const issuer = await generateKeyPair('ES256', { extractable: true });
const issuerJwk: JWK = { ...(await exportJWK(issuer.publicKey)), kid: 'test-issuer', alg: 'ES256', use: 'sig' };
async function mint(claims: Record<string, unknown>, header: Record<string, unknown> = {}, key = issuer.privateKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: 'elcorp-identity', aud: 'elcorp', sub: randomUUID(), sid: randomUUID(), jti: randomUUID(), iat: now, exp: now + 900, roles: ['user'], cnf: { jkt: device.jkt }, ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'test-issuer', ...header }).sign(key);
}
const issuerGateway = await gateway({ keys: createLocalJWKSet({ keys: [issuerJwk] }) });

t.test('a valid token and proof reach the upstream as the verified principal', async (t) => {
  const res = await call(app, device, 'GET', me, { token: session.accessToken });
  t.equal(res.statusCode, 200, res.body);
  t.same(res.json().principal, { userId: session.user.id, sessionId: session.sessionId, roles: session.user.roles, jkt: device.jkt });
});

const principalHeader = 'x-elcorp-principal';

t.test('a forged x-elcorp-principal header from outside never reaches the upstream', async (t) => {
  const forged = JSON.stringify({ userId: randomUUID(), roles: ['admin'] });
  const res = await call(app, device, 'GET', me, { token: session.accessToken, headers: { [principalHeader]: forged, 'x-elcorp-client-address': '10.0.0.1' } });
  t.equal(res.statusCode, 200);
  t.notOk(res.json().headers[principalHeader], 'the forged principal is dropped');
  t.notOk(res.json().headers['x-elcorp-client-address']);
  t.equal(res.json().principal.userId, session.user.id, 'the principal is the token holder');
  const anonymous = await call(app, device, 'POST', '/api/v1/auth/register', { proof: null, headers: { [principalHeader]: forged }, body: {} });
  t.notOk(anonymous.json().headers[principalHeader], 'on public routes too');
});

t.test('a DPoP-bound token sent as Bearer is refused (downgrade)', async (t) => {
  refused(t, await call(app, device, 'GET', me, { token: session.accessToken, scheme: 'Bearer' }), 'auth.invalid_token');
});

t.test('no Authorization on a protected route is refused', async (t) => {
  refused(t, await call(app, device, 'GET', me, { proofFor: { accessToken: session.accessToken } }), 'auth.invalid_token');
});

t.test('alg none is refused', async (t) => {
  const claims = decodeClaims(session.accessToken);
  const token = new UnsecuredJWT(claims).encode();
  refused(t, await call(app, device, 'GET', me, { token }), 'auth.invalid_token');
});

t.test('HS256 signed with identity\'s public key as the secret is refused', async (t) => {
  const jwks = (await identity.app.inject('/.well-known/jwks.json')).json() as { keys: JWK[] };
  const publicJwk = jwks.keys.find((k) => k.kid === identityKid)!;
  const pem = await exportSPKI((await importJWK(publicJwk, 'ES256')) as CryptoKey);
  const token = await new SignJWT(decodeClaims(session.accessToken))
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: identityKid })
    .sign(new TextEncoder().encode(pem));
  refused(t, await call(app, device, 'GET', me, { token }), 'auth.invalid_token');
});

t.test('a token signed by a foreign key under identity\'s kid is refused', async (t) => {
  const foreign = await generateKeyPair('ES256');
  const token = await new SignJWT(decodeClaims(session.accessToken)).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: identityKid }).sign(foreign.privateKey);
  refused(t, await call(app, device, 'GET', me, { token }), 'auth.invalid_token');
});

t.test('an expired token is refused', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  t.equal((await call(issuerGateway, device, 'GET', me, { token: await mint({}) })).statusCode, 200, 'the test issuer is trusted');
  refused(t, await call(issuerGateway, device, 'GET', me, { token: await mint({ iat: now - 1000, exp: now - 100 }) }), 'auth.invalid_token');
});

t.test('a token for another audience is refused', async (t) => {
  refused(t, await call(issuerGateway, device, 'GET', me, { token: await mint({ aud: 'elcorp-other' }) }), 'auth.invalid_token');
});

t.test('a token from another issuer is refused', async (t) => {
  refused(t, await call(issuerGateway, device, 'GET', me, { token: await mint({ iss: 'https://evil.example' }) }), 'auth.invalid_token');
});

t.test('a replayed proof is refused', async (t) => {
  const proof = await signDpopProof(device, { method: 'GET', url: `${publicBaseUrl}${me}`, accessToken: session.accessToken });
  t.equal((await call(app, device, 'GET', me, { token: session.accessToken, proof })).statusCode, 200);
  refused(t, await call(app, device, 'GET', me, { token: session.accessToken, proof }), 'auth.invalid_dpop_proof');
});

t.test('a proof for another method (htm) is refused', async (t) => {
  refused(t, await call(app, device, 'GET', me, { token: session.accessToken, proofFor: { method: 'POST' } }), 'auth.invalid_dpop_proof');
});

t.test('a proof for another URL (htu) is refused', async (t) => {
  refused(t, await call(app, device, 'GET', me, { token: session.accessToken, proofFor: { url: `${publicBaseUrl}/api/v1/payments/accounts` } }), 'auth.invalid_dpop_proof');
  refused(t, await call(app, device, 'GET', me, { token: session.accessToken, proofFor: { url: `https://evil.example${me}` } }), 'auth.invalid_dpop_proof');
});

t.test('a proof bound to another token (ath) is refused', async (t) => {
  const other = await signIn();
  refused(t, await call(app, device, 'GET', me, { token: session.accessToken, proofFor: { accessToken: other.session.accessToken } }), 'auth.invalid_dpop_proof');
});

t.test('a stale or future proof (iat) is refused', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  refused(t, await call(app, device, 'GET', me, { token: session.accessToken, proofFor: { iatSeconds: now - 120 } }), 'auth.invalid_dpop_proof');
  refused(t, await call(app, device, 'GET', me, { token: session.accessToken, proofFor: { iatSeconds: now + 120 } }), 'auth.invalid_dpop_proof');
});

t.test('a proof signed by another key than the token\'s cnf.jkt is refused', async (t) => {
  const thief = await generateDeviceKey();
  refused(t, await call(app, device, 'GET', me, { token: session.accessToken, proofFor: { device: thief } }), 'auth.invalid_dpop_proof');
});

t.test('a missing or malformed proof is refused', async (t) => {
  refused(t, await call(app, device, 'GET', me, { token: session.accessToken, proof: null }), 'auth.invalid_dpop_proof');
  refused(t, await call(app, device, 'GET', me, { token: session.accessToken, proof: 'not.a.jwt' }), 'auth.invalid_dpop_proof');
});

t.test('login, MFA and refresh need a proof without ath, and no token', async (t) => {
  const login = await call(app, device, 'POST', '/api/v1/auth/login', { body: { email: 'ana@example.na', password } });
  t.equal(login.statusCode, 200, login.body);
  t.equal(login.json().principal, null, 'a proof alone names nobody');
  t.same(login.json().body, { email: 'ana@example.na', password }, 'the body still reaches the upstream');
  t.equal((await call(app, device, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: 'x' } })).statusCode, 200);
  refused(t, await call(app, device, 'POST', '/api/v1/auth/mfa/sms', { proof: null, body: {} }), 'auth.invalid_dpop_proof');
  refused(t, await call(app, device, 'POST', '/api/v1/auth/login', { proofFor: { accessToken: session.accessToken }, body: {} }), 'auth.invalid_dpop_proof');
  const proof = await signDpopProof(device, { method: 'POST', url: `${publicBaseUrl}/api/v1/auth/refresh` });
  t.equal((await call(app, device, 'POST', '/api/v1/auth/refresh', { proof, body: {} })).statusCode, 200);
  refused(t, await call(app, device, 'POST', '/api/v1/auth/refresh', { proof, body: {} }), 'auth.invalid_dpop_proof');
});

t.test('public routes and the gateway\'s own pages need nothing', async (t) => {
  t.equal((await call(app, device, 'POST', '/api/v1/auth/register', { proof: null, body: {} })).statusCode, 200);
  t.equal((await app.inject('/health/live')).statusCode, 200);
});

t.test('percent-encoded paths are judged as upstreams will route them', async (t) => {
  const res = await call(app, device, 'POST', '/api/v1/auth/logi%6E', { proof: null, body: {} });
  refused(t, res, 'auth.invalid_dpop_proof');
});

t.test('JWKS unreachable and kid unknown: refused, never a pass', async (t) => {
  const down = await gateway({ env: { IDENTITY_URL: `http://127.0.0.1:${await freePort()}`, JWKS_FETCH_TIMEOUT_MS: '500' } });
  refused(t, await call(down, device, 'GET', me, { token: session.accessToken }), 'auth.invalid_token');
  refused(t, await call(down, device, 'GET', me, { token: session.accessToken }), 'auth.invalid_token');
});

t.test('the gateway fetched identity\'s JWKS over HTTP', async (t) => {
  t.ok(jwksFetches >= 1);
});

t.test('Redis unreachable: refused with 503, never a pass', async (t) => {
  const deadRedis = await connectRedis(testConfig.redisUrl, logger);
  deadRedis.disconnect();
  const config = loadGatewayConfig({ PUBLIC_BASE_URL: publicBaseUrl, REDIS_KEY_PREFIX: redisPrefix });
  const broken = await buildApp({ service: 'gateway', logger });
  registerAuthentication(broken, { keys: createLocalJWKSet({ keys: [issuerJwk] }), redis: deadRedis, config });
  broken.get('/api/v1/users/me', async () => ({ passed: true }));
  t.teardown(() => broken.close());
  const res = await call(broken, device, 'GET', me, { token: await mint({}) });
  t.equal(res.statusCode, 503);
  t.equal(res.json().code, 'service_unavailable');
});

t.test('security headers: helmet on every answer, a CSP per kind of page', async (t) => {
  const api = await call(app, device, 'GET', me, { token: session.accessToken });
  t.equal(api.headers['x-content-type-options'], 'nosniff');
  t.match(api.headers['strict-transport-security'], /max-age=/);
  t.equal(api.headers['content-security-policy'], apiContentSecurityPolicy);
  const refusedAnswer = await call(app, device, 'GET', me, { proof: null });
  t.equal(refusedAnswer.headers['content-security-policy'], apiContentSecurityPolicy, 'refusals too');
  const docs = await app.inject('/docs/static/index.html');
  t.equal(docs.headers['content-security-policy'], docsContentSecurityPolicy);
  t.equal(api.headers['access-control-allow-origin'], undefined, 'no CORS unless configured');
});

t.test('CORS: configured origins only, preflights answered before authentication', async (t) => {
  const origin = 'https://app.elcorp.example';
  const withCors = await gateway({ env: { CORS_ORIGINS: `${origin}, https://admin.elcorp.example` } });
  const preflight = await withCors.inject({
    method: 'OPTIONS',
    url: '/api/v1/payments/transfers',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,dpop,idempotency-key,content-type' },
  });
  t.equal(preflight.statusCode, 204);
  t.equal(preflight.headers['access-control-allow-origin'], origin);
  t.match(preflight.headers['access-control-allow-headers'], /authorization.*dpop.*idempotency-key.*content-type/);
  const answer = await call(withCors, device, 'GET', me, { token: session.accessToken, headers: { origin } });
  t.equal(answer.headers['access-control-allow-origin'], origin);
  t.match(answer.headers['access-control-expose-headers'], /x-request-id.*ratelimit-limit.*ratelimit-remaining.*ratelimit-reset.*retry-after.*www-authenticate/);
  const denied = await call(withCors, device, 'GET', me, { proof: null, headers: { origin } });
  t.equal(denied.statusCode, 401);
  t.equal(denied.headers['access-control-allow-origin'], origin, 'a browser app can read why it was refused');
  const stranger = await call(withCors, device, 'GET', me, { token: session.accessToken, headers: { origin: 'https://evil.example' } });
  t.equal(stranger.headers['access-control-allow-origin'], undefined);
  t.throws(() => loadGatewayConfig({ CORS_ORIGINS: 'https://app.example/path' }), /CORS_ORIGINS/);
  t.throws(() => loadGatewayConfig({ TRUST_PROXY: 'loopback' }), /TRUST_PROXY/);
});

function decodeClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
