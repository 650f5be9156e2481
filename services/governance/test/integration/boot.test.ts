import { ConfigError } from '@elcorp/kit';
import { bootService } from '@elcorp/service-testing';
import t from 'tap';
import { governanceService } from '../../src/service.js';
import { loadGovernanceConfig } from '../../src/config.js';

t.test('boots ready on Postgres, NATS and Redis with its outbox and inbox', async (t) => {
  const { app, tables } = await bootService(t, governanceService);

  const ready = await app.inject('/health/ready');
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready', checks: { postgres: { status: 'up' }, nats: { status: 'up' }, redis: { status: 'up' } } });
  t.equal((await app.inject('/health/live')).statusCode, 200);
  // Start-up publishes the first policy bundle, so the backlog may hold its event for a moment.
  t.match((await app.inject('/metrics')).body, /^elcorp_outbox_backlog\{service="governance"\} \d+$/m, 'the relay reports its backlog');
  t.equal((await app.inject('/openapi.json')).json().info.title, 'elcorp-governance');
  const names = await tables();
  for (const table of ['outbox', 'inbox', 'roles', 'role_permissions', 'user_roles', 'policies', 'bundle_versions', 'requests', 'request_history', 'request_approvals', 'sla_policies']) {
    t.ok(names.includes(table), `table ${table} migrated`);
  }
});

t.test('config names a bad PORT and defaults to the local servers', async (t) => {
  const error = t.throws(() => loadGovernanceConfig({ PORT: 'x' }), ConfigError) as ConfigError;
  t.same(error.issues.map((issue) => issue.variable), ['PORT']);
  t.match(loadGovernanceConfig({}), {
    PORT: 8083,
    DATABASE_URL: 'postgres://elcorp_governance@127.0.0.1:5432/elcorp',
    DATABASE_SCHEMA: 'governance',
    NATS_URL: 'nats://127.0.0.1:4222',
    REDIS_URL: 'redis://127.0.0.1:6379',
    EVENT_SUBJECT_ROOT: 'elcorp',
  });
});
