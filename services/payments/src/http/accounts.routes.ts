import type { App } from '@elcorp/kit';
import { balanceAt, getAccount, listAccounts, openAccount } from '../application/accounts.js';
import { statement } from '../application/queries.js';
import { isAllowed } from './authorize.js';
import { callerOf, type RouteDeps } from './context.js';
import { principalOf } from '@elcorp/auth/fastify';
import * as api from '@elcorp/contracts/http';
import { notFound } from './errors.js';

const tags = ['payments'];
const base = '/accounts';

export function registerAccountRoutes(app: App, deps: RouteDeps): void {
  const { payments } = deps;
  app.get(base, { schema: { tags, response: { 200: api.accountPageSchema } } }, async (request) => listAccounts(payments, callerOf(request)));

  app.post(
    base,
    { schema: { tags, body: api.openAccountBody, response: { 201: api.accountSchema } } },
    async (request, reply) => reply.code(201).send(await openAccount(payments, callerOf(request), request.body.currency)),
  );

  app.get(`${base}/:id`, { schema: { tags, params: api.idParams, response: { 200: api.accountSchema } } }, async (request) => {
    // Reconcilers read any account; the decision is asked only when the caller is not the owner.
    const reader = callerOf(request);
    const own = await getAccount(payments, reader, request.params.id).catch(notFound);
    if (own) return own;
    const canReadAll = isAllowed(deps.decide, principalOf(request), { action: 'payment:reconcile', resource: { type: 'Account', id: request.params.id } });
    return getAccount(payments, callerOf(request, canReadAll), request.params.id);
  });

  app.get(
    `${base}/:id/statement`,
    {
      schema: {
        tags,
        params: api.idParams,
        querystring: api.statementQuery,
        response: { 200: api.statementPageSchema },
      }
    },
    async (request) => {
      const { from, to, limit, cursor } = request.query;
      return statement(payments, callerOf(request), request.params.id, { from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined, limit, cursor });
    },
  );

  app.get(
    `${base}/:id/balance`,
    {
      schema: {
        tags,
        summary: 'Balance at a past instant (sum of entries posted up to it)',
        params: api.idParams,
        querystring: api.balanceAtQuery,
        response: { 200: api.balanceAtSchema },
      }
    },
    async (request) => balanceAt(payments, callerOf(request), request.params.id, new Date(request.query.at)),
  );
}
