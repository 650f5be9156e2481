import { ConfigError } from '@elcorp/kit';
import { bootService } from '@elcorp/service-testing';
import t from 'tap';
import { gatewayService } from '../../src/service.js';
import { loadGatewayConfig } from '../../src/config.js';

t.test('boots ready on NATS and Redis, without Postgres', async (t) => {
  const { app } = await bootService(t, gatewayService);

  const ready = await app.inject('/health/ready');
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready', checks: { nats: { status: 'up' }, redis: { status: 'up' } } });
  const live = await app.inject('/health/live');
  t.equal(live.statusCode, 200);
  t.ok(live.headers['x-request-id'], 'every answer carries a request id');
  t.match((await app.inject('/metrics')).body, /^http_request_duration_seconds_count\{.*service="gateway".*\} \d+$/m);
  t.equal((await app.inject('/openapi.json')).json().info.title, 'elcorp-gateway');
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
