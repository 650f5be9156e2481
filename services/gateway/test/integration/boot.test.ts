import { ConfigError, type RuntimeConfig, type ServiceDefinition } from '@elcorp/kit';
import { complianceService } from '@elcorp/compliance/service';
import { governanceService } from '@elcorp/governance/service';
import { identityService } from '@elcorp/identity/service';
import { paymentsService } from '@elcorp/payments/service';
import { freePort } from '@elcorp/testing';
import type { AddressInfo } from 'node:net';
import { bootService } from '@elcorp/service-testing';
import t, { type Test } from 'tap';
import { gatewayService } from '../../src/service.js';
import { loadGatewayConfig } from '../../src/config.js';

/** The four services opened as production opens them, listening on ports of their own. */
async function upstreamUrls(t: Test): Promise<Record<string, string>> {
  const listening = async <C extends RuntimeConfig, DB>(definition: ServiceDefinition<C, DB>) => {
    const { app } = await bootService(t, definition);
    await app.listen({ host: '127.0.0.1', port: 0 });
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  };
  return {
    IDENTITY_URL: await listening(identityService),
    PAYMENTS_URL: await listening(paymentsService),
    GOVERNANCE_URL: await listening(governanceService),
    COMPLIANCE_URL: await listening(complianceService),
  };
}

t.test('boots ready on NATS, Redis and its four upstreams, and says which one is down', async (t) => {
  const urls = await upstreamUrls(t);
  const { app } = await bootService(t, gatewayService, urls);

  const ready = await app.inject('/health/ready');
  t.equal(ready.statusCode, 200);
  const up = { status: 'up' };
  t.same(ready.json(), { status: 'ready', checks: { nats: up, redis: up, identity: up, payments: up, governance: up, compliance: up } });
  const live = await app.inject('/health/live');
  t.equal(live.statusCode, 200);
  t.ok(live.headers['x-request-id'], 'every answer carries a request id');
  t.match((await app.inject('/metrics')).body, /^http_request_duration_seconds_count\{.*service="gateway".*\} \d+$/m);
  const doc = (await app.inject('/openapi.json')).json();
  t.equal(doc.info.title, 'Elcorp API');
  t.ok(doc.paths['/api/v1/auth/login'], 'the merged document has the identity routes');

  const closedPort = await freePort();
  const degraded = await bootService(t, gatewayService, { ...urls, PAYMENTS_URL: `http://127.0.0.1:${closedPort}` });
  const notReady = await degraded.app.inject('/health/ready');
  t.equal(notReady.statusCode, 503);
  t.match(notReady.json().checks, { payments: { status: 'down' }, identity: up });
});

t.test('config names a bad PORT and defaults to the local fleet', async (t) => {
  const error = t.throws(() => loadGatewayConfig({ PORT: 'x' }), ConfigError) as ConfigError;
  t.same(error.issues.map((issue) => issue.variable), ['PORT']);
  t.match(loadGatewayConfig({}), {
    PORT: 8080,
    NATS_URL: 'nats://127.0.0.1:4222',
    REDIS_URL: 'redis://127.0.0.1:6379',
    IDENTITY_URL: 'http://127.0.0.1:8081',
    PAYMENTS_URL: 'http://127.0.0.1:8082',
    GOVERNANCE_URL: 'http://127.0.0.1:8083',
    COMPLIANCE_URL: 'http://127.0.0.1:8084',
    EVENT_SUBJECT_ROOT: 'elcorp',
  });
});
