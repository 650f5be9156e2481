import t from 'tap';
import { sampleApp } from './helpers.js';

t.test('live is always up; ready is 200 when every check passes', async (t) => {
  const app = await sampleApp({ healthChecks: { postgres: async () => {}, nats: async () => {} } });
  t.teardown(() => app.close());
  t.equal((await app.inject({ url: '/health/live' })).statusCode, 200);
  const ready = await app.inject({ url: '/health/ready' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready', checks: { postgres: { status: 'up' }, nats: { status: 'up' } } });
});

t.test('a failing or hanging check makes ready 503 and names it, without internals', async (t) => {
  const app = await sampleApp({
    healthCheckTimeoutMs: 50,
    healthChecks: {
      postgres: async () => {
        throw new Error('ECONNREFUSED 10.0.0.7:5432');
      },
      redis: () => new Promise<void>(() => {}),
      nats: async () => {},
    },
  });
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/health/ready' });
  t.equal(res.statusCode, 503);
  t.same(res.json().checks, {
    postgres: { status: 'down', error: 'unavailable' },
    redis: { status: 'down', error: 'unavailable' },
    nats: { status: 'up' },
  });
  t.notMatch(res.body, /10\.0\.0\.7/);
});

t.test('ready turns 503 once shutdown starts', async (t) => {
  const app = await sampleApp();
  t.teardown(() => app.close());
  app.lifecycle.shuttingDown = true;
  const res = await app.inject({ url: '/health/ready' });
  t.equal(res.statusCode, 503);
  t.equal(res.json().status, 'shutting_down');
});

t.test('a public readiness: one verdict per cache interval for any number of probes, and no names', async (t) => {
  let runs = 0;
  let up = false;
  const app = await sampleApp({
    readiness: { cacheMs: 60_000, exposeChecks: false },
    healthChecks: {
      redis: async () => {
        runs += 1;
        if (!up) throw new Error('ECONNREFUSED 10.0.0.7:6379');
      },
    },
  });
  t.teardown(() => app.close());
  const answers = await Promise.all(Array.from({ length: 20 }, () => app.inject({ url: '/health/ready' })));
  t.same(new Set(answers.map((res) => res.statusCode)), new Set([503]));
  t.same(answers[0]!.json(), { status: 'not_ready' }, 'ready or not, nothing about what is inside');
  up = true;
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 503, 'the cached verdict still stands');
  t.equal(runs, 1, 'twenty-one probes, one check');

  let uncachedRuns = 0;
  const uncached = await sampleApp({ healthChecks: { redis: async () => void (uncachedRuns += 1) } });
  t.teardown(() => uncached.close());
  await uncached.inject({ url: '/health/ready' });
  await uncached.inject({ url: '/health/ready' });
  t.equal(uncachedRuns, 2, 'without a cache every probe checks');
});
