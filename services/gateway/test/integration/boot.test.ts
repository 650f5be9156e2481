import { generateDeviceKey, signDpopProof } from '@elcorp/auth';
import { ConfigError, type RuntimeConfig, type ServiceDefinition } from '@elcorp/kit';
import { complianceService } from '@elcorp/compliance/service';
import { governanceService } from '@elcorp/governance/service';
import { paymentsService } from '@elcorp/payments/service';
import { freePort, testRedisPrefix } from '@elcorp/testing';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { bootService } from '@elcorp/service-testing';
import t, { type Test } from 'tap';
import { loadGatewayConfig } from '../../src/config.js';
import { listeningGateway, openIdentityUpstream, password, publicBaseUrl } from './identity-upstream.js';

const listening = async <C extends RuntimeConfig, DB>(t: Test, definition: ServiceDefinition<C, DB>, env: Record<string, string> = {}) => {
  const { app } = await bootService(t, definition, env);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
};

// The real identity, listening; the gateway shares its Redis prefix (deny-list, replay keys).
const upstream = await openIdentityUpstream(t);

t.test('payments stopped: the gateway stays ready, identity keeps working through it, payments answers 503 alone', async (t) => {
  const stoppedPayments = `http://127.0.0.1:${await freePort()}`;
  const { url, internalUrl } = await listeningGateway(t, upstream, {
    IDENTITY_URL: upstream.identityUrl,
    PAYMENTS_URL: stoppedPayments,
    // Services behind the gateway verify the token themselves, with identity's keys and deny-list.
    GOVERNANCE_URL: await listening(t, governanceService, { JWKS_URL: `${upstream.identityUrl}/.well-known/jwks.json`, REDIS_KEY_PREFIX: upstream.redisPrefix }),
    COMPLIANCE_URL: await listening(t, complianceService),
  });

  const ready = await fetch(`${url}/health/ready`);
  t.equal(ready.status, 200);
  t.same(await ready.json(), { status: 'ready' }, 'ready or not, no internal names');

  const email = `boot-${randomUUID()}@example.na`;
  const registered = await fetch(`${url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, fullName: 'Ndapewa Shikongo', phone: '+264811234567', agreedTerms: true }),
  });
  t.equal(registered.status, 201, 'register through the gateway');
  const device = await generateDeviceKey();
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', dpop: await signDpopProof(device, { method: 'POST', url: `${publicBaseUrl}/api/v1/auth/login` }) },
    body: JSON.stringify({ email, password }),
  });
  t.equal(login.status, 200, 'login through the gateway');
  const { accessToken } = (await login.json()) as { accessToken: string };
  const authorised = async (method: string, path: string) =>
    fetch(`${url}${path}`, { method, headers: { authorization: `DPoP ${accessToken}`, dpop: await signDpopProof(device, { method, url: `${publicBaseUrl}${path}`, accessToken }) } });

  const me = await authorised('GET', '/api/v1/users/me');
  t.equal(me.status, 200);
  t.match(await me.json(), { email });
  const payments = await authorised('GET', '/api/v1/payments/accounts');
  t.equal(payments.status, 503);
  t.match(await payments.json(), { code: 'upstream_unavailable' });
  t.ok(payments.headers.get('retry-after'));
  t.equal((await authorised('GET', '/api/v1/governance/permissions')).status, 200, 'governance answers through the gateway, verifying the token itself');

  const stillReady = await fetch(`${url}/health/ready`);
  t.equal(stillReady.status, 200, 'still ready after payments failed');

  t.equal((await fetch(`${url}/metrics`)).status, 404, 'no metrics on the public port');
  t.equal((await fetch(`${url}/health/upstreams`)).status, 404, 'no upstream report on the public port');
  const metrics = await fetch(`${internalUrl}/metrics`);
  t.equal(metrics.status, 200);
  t.match(await metrics.text(), /^http_request_duration_seconds_count\{.*service="gateway".*\} \d+$/m, 'the public app\'s metrics, on the internal listener');
  const upstreams = await fetch(`${internalUrl}/health/upstreams`);
  t.equal(upstreams.status, 200, 'a report, not a readiness signal');
  t.match(await upstreams.json(), { upstreams: { identity: { status: 'up' }, payments: { status: 'down' }, governance: { status: 'up' }, compliance: { status: 'up' } } });
});

t.test('readiness is Redis and a loaded JWKS: identity never reached, not ready; probes are rate-limited', async (t) => {
  const nowhere = `http://127.0.0.1:${await freePort()}`;
  const { url } = await listeningGateway(t, upstream, {
    IDENTITY_URL: nowhere,
    PAYMENTS_URL: await listening(t, paymentsService),
    GOVERNANCE_URL: nowhere,
    COMPLIANCE_URL: nowhere,
    RATE_LIMIT_PER_IP_PER_MINUTE: '3',
    // Counters of its own: the other test's requests came from the same address.
    REDIS_KEY_PREFIX: (await testRedisPrefix(t)).prefix,
  });
  const notReady = await fetch(`${url}/health/ready`);
  t.equal(notReady.status, 503, 'no key set: no token could verify');
  t.same(await notReady.json(), { status: 'not_ready' }, 'nothing about which dependency');
  t.equal((await fetch(`${url}/health/ready`)).status, 503);
  t.equal((await fetch(`${url}/health/ready`)).status, 503);
  const limited = await fetch(`${url}/health/ready`);
  t.equal(limited.status, 429, 'a fourth probe in the minute from one address is refused like any request');
  t.equal((await fetch(`${url}/health/live`)).status, 200, 'liveness is never refused');
});

t.test('config names a bad PORT and defaults to the local fleet', async (t) => {
  const error = t.throws(() => loadGatewayConfig({ PORT: 'x' }), ConfigError) as ConfigError;
  t.same(error.issues.map((issue) => issue.variable), ['PORT']);
  t.match(loadGatewayConfig({}), {
    PORT: 8080,
    INTERNAL_HOST: '127.0.0.1',
    INTERNAL_PORT: 9080,
    NATS_URL: 'nats://127.0.0.1:4222',
    REDIS_URL: 'redis://127.0.0.1:6379',
    IDENTITY_URL: 'http://127.0.0.1:8081',
    PAYMENTS_URL: 'http://127.0.0.1:8082',
    GOVERNANCE_URL: 'http://127.0.0.1:8083',
    COMPLIANCE_URL: 'http://127.0.0.1:8084',
    EVENT_SUBJECT_ROOT: 'elcorp',
  });
});
