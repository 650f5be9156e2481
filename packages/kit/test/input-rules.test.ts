import t, { type Test } from 'tap';
import { z } from 'zod';
import { AppError, findUnsafeInput, maxInputDepth, problemContentType } from '../src/index.js';
import { sampleApp } from './helpers.js';

async function app(t: Test) {
  const app = await sampleApp();
  app.post('/anything', { schema: { body: z.unknown() } }, async () => ({ ok: true }));
  app.get('/things/:id', { schema: { params: z.object({ id: z.string() }) } }, async () => ({ ok: true }));
  t.teardown(() => app.close());
  return app;
}

const post = (payload: string) => ({ method: 'POST' as const, url: '/transfers', headers: { 'content-type': 'application/json' }, payload });

t.test('a NUL or an unpaired surrogate anywhere in a JSON body is 422 naming the path, whatever the field', async (t) => {
  const server = await app(t);
  const cases: Array<[string, string, string]> = [
    ['{"amount":"1.00","currency":"NAD","note":"a\\u0000b"}', 'body.note', 'NUL'],
    ['{"amount":"1.00","currency":"NAD","note":"\\ud800"}', 'body.note', 'surrogate'],
    ['{"amount":"1.00","currency":"NAD","note":"x\\udc00y"}', 'body.note', 'surrogate'],
  ];
  for (const [payload, path, reason] of cases) {
    const res = await server.inject(post(payload));
    t.equal(res.statusCode, 422, payload);
    t.equal(res.headers['content-type'], `${problemContentType}; charset=utf-8`);
    t.match(res.json(), { code: 'validation_failed', errors: [{ path, message: new RegExp(reason) }] });
  }
  const nested = await server.inject({ method: 'POST', url: '/anything', headers: { 'content-type': 'application/json' }, payload: '{"a":[{"b":"\\u0000"}],"c\\ud800":1}' });
  t.equal(nested.statusCode, 422);
  t.match(nested.json().errors[0].path, /^body(\.a\.0\.b)?$/, 'the NUL deep inside or the field name');
  const paired = await server.inject(post('{"amount":"1.00","currency":"NAD","note":"\\ud83d\\ude00"}'));
  t.equal(paired.statusCode, 201, 'a surrogate pair (an emoji) is fine');
});

t.test('NUL in the query or a path parameter is 422 too', async (t) => {
  const server = await app(t);
  const query = await server.inject({ method: 'GET', url: '/items?limit=%00' });
  t.equal(query.statusCode, 422);
  t.match(query.json(), { code: 'validation_failed', errors: [{ path: 'query.limit', message: /NUL/ }] });
  const param = await server.inject({ method: 'GET', url: '/things/a%00b' });
  t.equal(param.statusCode, 422);
  t.match(param.json(), { errors: [{ path: 'params.id' }] });
});

t.test('nesting deeper than the limit is 422, even 100 000 levels deep', async (t) => {
  const server = await app(t);
  const ok = await server.inject({ method: 'POST', url: '/anything', headers: { 'content-type': 'application/json' }, payload: '['.repeat(maxInputDepth) + ']'.repeat(maxInputDepth) });
  t.equal(ok.statusCode, 200);
  for (const depth of [maxInputDepth + 1, 100_000]) {
    const res = await server.inject({ method: 'POST', url: '/anything', headers: { 'content-type': 'application/json' }, payload: '['.repeat(depth) + ']'.repeat(depth) });
    t.equal(res.statusCode, 422, `depth ${depth}`);
    t.match(res.json(), { code: 'validation_failed', errors: [{ message: /nested deeper/ }] });
  }
});

t.test('a byte order mark before a JSON body is 400 malformed_body', async (t) => {
  const server = await app(t);
  const res = await server.inject(post('\uFEFF{"amount":"1.00","currency":"NAD"}'));
  t.equal(res.statusCode, 400);
  t.match(res.json(), { code: 'malformed_body', detail: /byte order mark/ });
  t.equal((await server.inject(post('{"amount":"1.00","currency":"NAD"}'))).statusCode, 201);
  const poisoned = await server.inject(post('{"amount":"1.00","currency":"NAD","__proto__":{"x":1}}'));
  t.equal(poisoned.statusCode, 400, 'prototype poisoning is still refused');
});

t.test('a 300-character path segment is 414 problem+json with a stable code', async (t) => {
  const server = await app(t);
  const res = await server.inject({ method: 'GET', url: `/things/${'a'.repeat(300)}` });
  t.equal(res.statusCode, 414);
  t.equal(res.headers['content-type'], `${problemContentType}; charset=utf-8`);
  t.match(res.json(), { code: 'uri_too_long', status: 414, type: 'https://errors.elcorp.na/uri_too_long' });
  t.ok(res.headers['x-request-id']);
});

t.test('a lost dependency is 503 service_unavailable with Retry-After, not 500', async (t) => {
  const server = await sampleApp();
  t.teardown(() => server.close());
  const failures: Record<string, () => Error> = {
    refused: () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    terminated: () => new Error('Connection terminated unexpectedly'),
    adminShutdown: () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    poolTimeout: () => new Error('timeout exceeded when trying to connect'),
    wrapped: () => new Error('query failed', { cause: Object.assign(new Error('the database system is starting up'), { code: '57P03' }) }),
    bug: () => new TypeError('undefined is not a function'),
    clientAborted: () => Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 }),
    appError: () => new AppError(409, 'x.conflict', 'Conflict'),
  };
  for (const [name, make] of Object.entries(failures)) server.get(`/fail/${name}`, async () => Promise.reject(make()));
  for (const name of ['refused', 'terminated', 'adminShutdown', 'poolTimeout', 'wrapped']) {
    const res = await server.inject(`/fail/${name}`);
    t.equal(res.statusCode, 503, name);
    t.equal(res.headers['retry-after'], '2');
    t.match(res.json(), { code: 'service_unavailable' });
    t.notMatch(res.body, /5432|ECONNREFUSED/);
  }
  t.equal((await server.inject('/fail/bug')).statusCode, 500, 'a bug stays a 500');
  t.equal((await server.inject('/fail/clientAborted')).statusCode, 400, 'a client hanging up mid-body (ECONNRESET) is no outage');
  t.equal((await server.inject('/fail/appError')).statusCode, 409);
});

t.test('findUnsafeInput leaves objects other than parsed JSON alone', async (t) => {
  class Stream {
    text = '\u0000';
  }
  t.equal(findUnsafeInput(new Stream(), 'body'), undefined);
  t.same(findUnsafeInput({ a: '\u0000' }, 'body'), { path: 'body.a', message: 'must not contain the NUL character' });
});
