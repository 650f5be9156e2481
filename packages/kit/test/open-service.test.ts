import { startProductionBroker, testConfig, testSchema } from '@elcorp/testing';
import t from 'tap';
import { z } from 'zod';
import { baseConfigShape, buildApp, databaseUrl, loadConfig, natsConfigShape, openService, port, redisUrl, type ServiceDefinition } from '../src/index.js';

const shape = {
  ...baseConfigShape,
  PORT: port(0),
  DATABASE_URL: databaseUrl('nobody'),
  DATABASE_SCHEMA: z.string(),
  ...natsConfigShape,
  REDIS_URL: redisUrl,
};
type Config = ReturnType<typeof load>;
const load = (env: Record<string, string | undefined> = {}) => loadConfig(shape, env);

function definition(migrationsDir: string, events: string[]): ServiceDefinition<Config, unknown> {
  return {
    name: 'sample',
    loadConfig: load,
    migrations: [{ dir: migrationsDir }],
    build: async ({ logger, infra }) => {
      const app = await buildApp({ service: 'sample', logger, healthChecks: infra.healthChecks });
      infra.defer(async () => {
        // Deferred workers stop while their connections are still open.
        events.push(infra.nats?.isClosed() ? 'worker stopped after nats' : 'worker stopped first');
      });
      return app;
    },
  };
}

t.test('openService migrates, connects, reports ready and closes everything with the app', async (t) => {
  const { url, schema } = await testSchema(t, 'kit');
  const dir = t.testdir({ '0001_things.sql': 'CREATE TABLE things (id int PRIMARY KEY);\n' });
  const events: string[] = [];
  const env = { DATABASE_URL: url, DATABASE_SCHEMA: schema, NATS_URL: testConfig.natsUrl, REDIS_URL: testConfig.redisUrl, LOG_LEVEL: 'silent' };
  const { app, infra, config } = await openService(definition(dir, events), env);
  t.equal(config.DATABASE_SCHEMA, schema);
  const ready = await app.inject('/health/ready');
  t.same(ready.json().checks, { postgres: { status: 'up' }, nats: { status: 'up' }, redis: { status: 'up' } });
  const { rows } = await infra.database!.pool.query('SELECT count(*)::int AS n FROM things');
  t.same(rows, [{ n: 0 }], 'the migration ran in the service schema');

  await app.close();
  t.same(events, ['worker stopped first']);
  t.ok(infra.nats?.isClosed(), 'nats closed');
  t.equal(infra.redis?.status, 'end', 'redis closed');
  await t.rejects(infra.database!.pool.query('SELECT 1'), 'pool closed');
});

t.test('a dependency that cannot be reached fails start-up and closes what was opened', async (t) => {
  const { url, schema } = await testSchema(t, 'kit');
  const dir = t.testdir({ '0001_things.sql': 'CREATE TABLE things (id int PRIMARY KEY);\n' });
  const env = { DATABASE_URL: url, DATABASE_SCHEMA: schema, NATS_URL: 'nats://127.0.0.1:1', LOG_LEVEL: 'silent' };
  await t.rejects(openService(definition(dir, []), env));
});

t.test('a bad variable fails before anything is opened', async (t) => {
  await t.rejects(openService(definition('/nonexistent', []), { PORT: 'eighty' }), { name: 'ConfigError' });
});

t.test('a broker user without its password, or a password without its user, fails before anything is opened', async (t) => {
  for (const [set, missing] of [
    [{ NATS_USER: 'identity' }, 'NATS_PASSWORD'],
    [{ NATS_PASSWORD: 'secret' }, 'NATS_USER'],
  ] as const) {
    await t.rejects(openService(definition('/nonexistent', []), { ...set, DATABASE_SCHEMA: 'unused', LOG_LEVEL: 'silent' }), { name: 'ConfigError', message: new RegExp(missing) });
  }
});

t.test('on a broker with users, the service signs in as NATS_USER; a wrong password fails start-up', async (t) => {
  const { url, schema } = await testSchema(t, 'kit');
  const dir = t.testdir({ '0001_things.sql': 'CREATE TABLE things (id int PRIMARY KEY);\n' });
  const broker = await startProductionBroker(t);
  const env = { DATABASE_URL: url, DATABASE_SCHEMA: schema, NATS_URL: broker.server.url, REDIS_URL: testConfig.redisUrl, LOG_LEVEL: 'silent', NATS_USER: 'identity' };
  const { app, infra } = await openService(definition(dir, []), { ...env, NATS_PASSWORD: broker.passwords.identity });
  t.teardown(() => app.close());
  t.equal(infra.nats?.info?.server_name, 'elcorp-nats', 'connected to the production-configured broker');
  t.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);
  await t.rejects(openService(definition(dir, []), { ...env, NATS_PASSWORD: 'not-the-password' }), /authorization/i);
});
