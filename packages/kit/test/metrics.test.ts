import t from 'tap';
import { sampleApp } from './helpers.js';

t.test('/metrics exposes per-route request counts, durations and errors in Prometheus text', async (t) => {
  const app = await sampleApp();
  t.teardown(() => app.close());
  await app.inject({ method: 'POST', url: '/transfers', payload: { amount: '1.00', currency: 'NAD' } });
  await app.inject({ method: 'POST', url: '/transfers', payload: { amount: '1.00', currency: 'NAD' } });
  await app.inject({ method: 'GET', url: '/boom' });
  const res = await app.inject({ url: '/metrics' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain/);
  t.match(res.body, /http_request_duration_seconds_count\{service="sample",method="POST",route="\/transfers",status="201"\} 2/);
  t.match(res.body, /http_request_errors_total\{method="GET",route="\/boom",service="sample"\} 1/);
  t.match(res.body, /process_cpu_user_seconds_total/);
  t.match(res.body, /nodejs_eventloop_lag_p99_seconds/, 'event-loop delay still measured, once a second');
  const utilization = /nodejs_eventloop_utilization_ratio\{service="sample"\} ([0-9.e-]+)/.exec(res.body);
  t.ok(utilization && Number(utilization[1]) > 0 && Number(utilization[1]) <= 1, `event-loop utilization since the previous scrape: ${utilization?.[1]}`);
});

t.test('two apps in one process keep separate registries', async (t) => {
  const a = await sampleApp();
  const b = await sampleApp();
  t.teardown(() => Promise.all([a.close(), b.close()]));
  await a.inject({ url: '/items?limit=1' });
  const fromB = await b.inject({ url: '/metrics' });
  t.notMatch(fromB.body, /route="\/items"/);
});

t.test('an app can keep /metrics off its port and still measure', async (t) => {
  const app = await sampleApp({ metricsRoute: false });
  t.teardown(() => app.close());
  await app.inject({ url: '/items?limit=1' });
  t.equal((await app.inject({ url: '/metrics' })).statusCode, 404);
  t.match(await app.metrics.metrics(), /http_request_duration_seconds_count\{.*route="\/items".*\} 1/);
});
