import { Authorizer, buildBundle, systemBundle } from '@elcorp/authz';
import t from 'tap';
import { authorizerDecider } from '../../src/http/authorize.js';
import { paymentsApi } from './http-harness.js';

const base = '/api/v1/payments';

t.test('a Cedar policy on context.amountMinor and currency caps transfers and deposits', async (t) => {
  const cap = 'forbid (principal, action in [Elcorp::Action::"payment:create", Elcorp::Action::"payment:deposit"], resource) when { context.currency == "NAD" && context.amountMinor > 100000 };';
  const authorizer = new Authorizer({ bundle: buildBundle({ version: 1, roles: systemBundle.roles, policies: [{ id: 'nad-cap', source: cap }] }) });
  const api = await paymentsApi(t, {}, { decide: authorizerDecider(authorizer) });
  const admin = await api.user(['admin'], 'Ad Min');
  const ana = await api.user(['user'], 'Ana Nangolo');
  const ben = await api.user(['user'], 'Ben Shikongo');
  const deposit = (amount: string, key: string) =>
    api.app.inject({ method: 'POST', url: `${base}/deposits`, headers: admin.headers(key), payload: { accountId: ana.accountId, amount, currency: 'NAD', reference: 'cash' } });
  const over = await deposit('1000.01', 'd1');
  t.equal(over.statusCode, 403);
  t.match(over.json(), { code: 'authz.denied', policies: ['nad-cap'] });
  t.equal((await deposit('1000.00', 'd2')).statusCode, 201, 'at the cap');
  t.equal((await deposit('1000.00', 'd3')).statusCode, 201);
  const transfer = (amount: string, key: string) =>
    api.app.inject({ method: 'POST', url: `${base}/transfers`, headers: ana.headers(key), payload: { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amount, currency: 'NAD' } });
  const capped = await transfer('1500.00', 't1');
  t.equal(capped.statusCode, 403);
  t.same(capped.json().policies, ['nad-cap']);
  t.equal((await transfer('999.99', 't2')).statusCode, 201);
  t.equal((await api.app.inject({ method: 'GET', url: `${base}/accounts/${ana.accountId}`, headers: ana.headers() })).json().balance, '1000.01', 'the capped transfer moved nothing');
});
