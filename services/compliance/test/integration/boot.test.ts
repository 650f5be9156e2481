import { ConfigError } from '@elcorp/kit';
import { bootService } from '@elcorp/service-testing';
import t from 'tap';
import { complianceService } from '../../src/service.js';
import { loadComplianceConfig } from '../../src/config.js';

t.test('boots ready on Postgres, NATS and Redis with its outbox and inbox', async (t) => {
  const { app, tables } = await bootService(t, complianceService);

  const ready = await app.inject('/health/ready');
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready', checks: { postgres: { status: 'up' }, nats: { status: 'up' }, redis: { status: 'up' } } });
  t.equal((await app.inject('/health/live')).statusCode, 200);
  t.match((await app.inject('/metrics')).body, /^elcorp_outbox_backlog\{service="compliance"\} \d+$/m, "the relay reports its backlog (the first checkpoint's event may still be in it)");
  t.equal((await app.inject('/openapi.json')).json().info.title, 'elcorp-compliance');
  const names = await tables();
  for (const table of ['outbox', 'inbox', 'audit_entries', 'merkle_nodes', 'checkpoints', 'subject_keys', 'signing_keys', 'incidents', 'sla_breaches', 'reports']) t.ok(names.includes(table), `table ${table} migrated`);
});

t.test('config names a bad PORT and defaults to the local servers', async (t) => {
  const error = t.throws(() => loadComplianceConfig({ PORT: 'x' }), ConfigError) as ConfigError;
  t.same(error.issues.map((issue) => issue.variable), ['PORT']);
  const production = t.throws(() => loadComplianceConfig({ NODE_ENV: 'production' }), ConfigError) as ConfigError;
  t.same(production.issues.map((issue) => issue.variable), ['COMPLIANCE_MASTER_KEY'], 'production refuses the development master key');
  const origin = t.throws(() => loadComplianceConfig({ AUDIT_LOG_ORIGIN: 'has space' }), ConfigError) as ConfigError;
  t.same(origin.issues.map((issue) => issue.variable), ['AUDIT_LOG_ORIGIN']);
  t.match(loadComplianceConfig({}), {
    PORT: 8084,
    DATABASE_URL: 'postgres://elcorp_compliance@127.0.0.1:5432/elcorp',
    DATABASE_SCHEMA: 'compliance',
    NATS_URL: 'nats://127.0.0.1:4222',
    REDIS_URL: 'redis://127.0.0.1:6379',
    EVENT_SUBJECT_ROOT: 'elcorp',
  });
});
