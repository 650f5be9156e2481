import t from 'tap';
import { AppError, problemContentType } from '../src/index.js';
import { capturedLogger, sampleApp } from './helpers.js';

const valid = { amount: '125.50', currency: 'NAD' };

t.test('a valid body passes and the response is serialised by its schema', async (t) => {
  const app = await sampleApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/transfers', payload: valid });
  t.equal(res.statusCode, 201);
  t.same(res.json(), { ok: true });
});

t.test('validation failure: 422 with one errors[] entry per failing field', async (t) => {
  const app = await sampleApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/transfers', payload: { amount: '12.5', currency: 'EUR', note: 'x'.repeat(11) } });
  t.equal(res.statusCode, 422);
  t.equal(res.headers['content-type'], `${problemContentType}; charset=utf-8`);
  const body = res.json();
  t.equal(body.code, 'validation_failed');
  t.equal(body.status, 422);
  t.equal(body.instance, '/transfers');
  t.match(body.type, /validation_failed$/);
  t.same(body.errors.map((e: { path: string }) => e.path).sort(), ['body.amount', 'body.currency', 'body.note']);
  t.match(body.errors.find((e: { path: string }) => e.path === 'body.amount').message, /two digits/);
});

t.test('unknown fields are rejected by name', async (t) => {
  const app = await sampleApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/transfers', payload: { ...valid, isAdmin: true, role: 'x' } });
  t.equal(res.statusCode, 422);
  t.same(
    res.json().errors.sort((a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path)),
    [
      { path: 'body.isAdmin', message: 'unknown field' },
      { path: 'body.role', message: 'unknown field' },
    ],
  );
});

t.test('query validation names the query field', async (t) => {
  const app = await sampleApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/items?limit=1000' });
  t.equal(res.statusCode, 422);
  t.equal(res.json().errors[0].path, 'querystring.limit');
});

t.test('bodies over 1 MiB answer 413', async (t) => {
  const app = await sampleApp();
  t.teardown(() => app.close());
  const res = await app.inject({
    method: 'POST',
    url: '/transfers',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ ...valid, note: 'x'.repeat(1024 * 1024) }),
  });
  t.equal(res.statusCode, 413);
  t.equal(res.json().code, 'payload_too_large');
});

t.test('malformed JSON answers 400 and an unsupported media type 415', async (t) => {
  const app = await sampleApp();
  t.teardown(() => app.close());
  const bad = await app.inject({ method: 'POST', url: '/transfers', headers: { 'content-type': 'application/json' }, payload: '{"amount":' });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().code, 'malformed_body');
  const xml = await app.inject({ method: 'POST', url: '/transfers', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
  t.equal(xml.statusCode, 415);
  t.equal(xml.json().code, 'unsupported_media_type');
});

t.test('unknown errors answer 500 without internals', async (t) => {
  const app = await sampleApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/boom' });
  t.equal(res.statusCode, 500);
  const body = res.json();
  t.equal(body.code, 'internal');
  t.notMatch(res.body, /db-internal|SELECT|secret|at .*\.ts/);
});

t.test('an AppError keeps its status, code, headers and extensions', async (t) => {
  const app = await sampleApp();
  app.get('/locked', async () => {
    throw new AppError(423, 'identity.account_locked', 'Account locked', {
      detail: 'try again later',
      headers: { 'retry-after': '900' },
      extensions: { policies: ['p1'] },
    });
  });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/locked' });
  t.equal(res.statusCode, 423);
  t.equal(res.headers['retry-after'], '900');
  t.match(res.json(), { code: 'identity.account_locked', title: 'Account locked', detail: 'try again later', policies: ['p1'] });
});

t.test('an unknown route answers a 404 problem', async (t) => {
  const app = await sampleApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
  t.equal(res.statusCode, 404);
  t.match(res.json(), { code: 'not_found', detail: 'no route for GET /nope' });
});

t.test('a 503 with Retry-After is logged as a warning with its cause, an unexpected failure as an error', async (t) => {
  const { logger, lines } = capturedLogger('info');
  const app = await sampleApp({ logger });
  app.get('/busy', async () => {
    throw new AppError(503, 'service_unavailable', 'Service unavailable', { headers: { 'retry-after': '1' } });
  });
  app.get('/unavailable', async () => {
    throw new AppError(503, 'service_unavailable', 'Service unavailable');
  });
  t.teardown(() => app.close());

  const busy = await app.inject({ method: 'GET', url: '/busy' });
  t.equal(busy.statusCode, 503);
  t.equal(busy.headers['retry-after'], '1');
  const deferred = lines.filter((line) => line.msg === 'request deferred');
  t.equal(deferred.length, 1, 'one line for the deferred request');
  t.equal(deferred[0]?.level, 40, 'pino\'s warn');
  t.match(deferred[0], { code: 'service_unavailable', status: 503, err: { message: String } });

  await app.inject({ method: 'GET', url: '/unavailable' });
  await app.inject({ method: 'GET', url: '/boom' });
  const failed = lines.filter((line) => line.msg === 'request failed');
  t.equal(failed.length, 2, 'a 503 without Retry-After and a 500 are both errors');
  t.same(failed.map((line) => line.level), [50, 50], 'pino\'s error');
  t.equal(lines.filter((line) => line.msg === 'request deferred').length, 1, 'nothing else was deferred');
});
