import t from 'tap';
import { sampleApp } from './helpers.js';

t.test('a sane caller id is echoed', async (t) => {
  const app = await sampleApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'req-42.abc:1' } });
  t.equal(res.headers['x-request-id'], 'req-42.abc:1');
});

t.test('an absent or hostile id is replaced by a fresh uuid', async (t) => {
  const app = await sampleApp();
  t.teardown(() => app.close());
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const none = await app.inject({ method: 'GET', url: '/health/live' });
  t.match(none.headers['x-request-id'], uuid);
  for (const hostile of ['a b', 'x'.repeat(129), '<script>', 'id\u0000']) {
    const res = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': hostile } });
    t.match(res.headers['x-request-id'], uuid, `replaces ${JSON.stringify(hostile.slice(0, 10))}`);
  }
});

t.test('errors carry the request id too', async (t) => {
  const app = await sampleApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/boom', headers: { 'x-request-id': 'trace-me' } });
  t.equal(res.statusCode, 500);
  t.equal(res.headers['x-request-id'], 'trace-me');
});
