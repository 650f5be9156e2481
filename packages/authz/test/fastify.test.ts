import type { Principal } from '@elcorp/auth';
import { buildApp } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';
import t, { type Test } from 'tap';
import { Authorizer, authorize, buildBundle, registerAuthz, requirePermission, systemBundle } from '../src/index.js';
import { capturedLogger } from './helpers.js';

const capPolicy = 'forbid (principal, action == Elcorp::Action::"payment:create", resource) when { context.amountMinor > 50000 };';
const officeIp = 'forbid (principal, action == Elcorp::Action::"audit:view", resource) unless { context has ip && context.ip == "10.0.0.7" };';

async function testApp(t: Test) {
  const { logger } = capturedLogger('silent');
  const app = await buildApp({ service: 'authz-test', logger });
  const authorizer = new Authorizer({
    bundle: buildBundle({ version: 1, roles: systemBundle.roles, policies: [{ id: 'cap', source: capPolicy }, { id: 'office-only', source: officeIp }] }),
  });
  registerAuthz(app, authorizer, { ipOf: (request) => (typeof request.headers['x-test-ip'] === 'string' ? request.headers['x-test-ip'] : undefined) });
  let handled = 0;
  // Stands in for the platform's auth plugin: it sets request.principal on authenticated requests.
  const authenticate = async (request: FastifyRequest) => {
    const roles = request.headers['x-test-roles'];
    if (typeof roles === 'string') (request as FastifyRequest & { principal?: Principal }).principal = { userId: 'u-1', sessionId: 's-1', roles: roles.split(',').filter(Boolean), jkt: 'j' };
  };
  app.post<{ Params: { id: string }; Body: { amountMinor: number } }>('/accounts/:id/transfers', { preHandler: authenticate }, async (request, reply) => {
    await authorize(request, 'payment:create', { type: 'Account', id: request.params.id, attributes: { owner: 'u-1' } }, { amountMinor: request.body.amountMinor, currency: 'NAD' });
    handled += 1;
    return reply.code(201).send({ ok: true });
  });
  app.get('/audit', { preHandler: [authenticate, requirePermission('audit:view', { type: 'AuditLog', id: '*' })] }, async () => {
    handled += 1;
    return { entries: [] };
  });
  app.get('/unguarded', { preHandler: requirePermission('user:read', (request) => ({ type: 'User', id: String(request.query) })) }, async () => {
    handled += 1;
    return { users: [] };
  });
  t.teardown(() => app.close());
  return { app, handled: () => handled };
}

const transfer = (roles: string, amountMinor: number) => ({
  method: 'POST' as const,
  url: '/accounts/acc-1/transfers',
  headers: { 'x-test-roles': roles },
  payload: { amountMinor },
});

t.test('an allowed action runs the route', async (t) => {
  const { app, handled } = await testApp(t);
  const res = await app.inject(transfer('user', 1000));
  t.equal(res.statusCode, 201);
  t.equal(handled(), 1);
});

t.test('a denial answers 403 authz.denied with the deciding policy ids', async (t) => {
  const { app, handled } = await testApp(t);
  const capped = await app.inject(transfer('admin', 50001));
  t.equal(capped.statusCode, 403);
  t.equal(capped.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.match(capped.json(), { status: 403, code: 'authz.denied', policies: ['cap'] });
  const noRole = await app.inject(transfer('guest', 10));
  t.equal(noRole.statusCode, 403);
  t.match(noRole.json(), { code: 'authz.denied', policies: [] }, 'default deny names no policy');
  t.equal(handled(), 0);
});

t.test('the preHandler form takes its context from the request (client ip)', async (t) => {
  const { app, handled } = await testApp(t);
  const elsewhere = await app.inject({ method: 'GET', url: '/audit', headers: { 'x-test-roles': 'staff', 'x-test-ip': '192.0.2.1' } });
  t.equal(elsewhere.statusCode, 403);
  t.match(elsewhere.json(), { code: 'authz.denied', policies: ['office-only'] });
  const office = await app.inject({ method: 'GET', url: '/audit', headers: { 'x-test-roles': 'staff', 'x-test-ip': '10.0.0.7' } });
  t.equal(office.statusCode, 200);
  t.equal(handled(), 1);
});

t.test('a route is never authorised without an authenticated principal', async (t) => {
  const { app, handled } = await testApp(t);
  const anonymous = await app.inject({ method: 'POST', url: '/accounts/acc-1/transfers', payload: { amountMinor: 1 } });
  t.equal(anonymous.statusCode, 500, 'a route reached without authentication is a bug, never an allow');
  const unguarded = await app.inject({ method: 'GET', url: '/unguarded' });
  t.equal(unguarded.statusCode, 500);
  t.equal(handled(), 0);
});

t.test('authorize on an app without registerAuthz refuses to decide', async (t) => {
  const { logger } = capturedLogger('silent');
  const bare = await buildApp({ service: 'authz-bare', logger });
  t.teardown(() => bare.close());
  bare.get('/x', async (request) => {
    (request as FastifyRequest & { principal?: Principal }).principal = { userId: 'u', sessionId: 's', roles: ['admin'], jkt: 'j' };
    await authorize(request, 'user:read', { type: 'User', id: 'u' });
    return { ok: true };
  });
  t.equal((await bare.inject({ method: 'GET', url: '/x' })).statusCode, 500);
});
