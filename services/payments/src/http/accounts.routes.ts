import type { App } from '@elcorp/kit';
import { z } from 'zod';
import { balanceAt, getAccount, listAccounts, openAccount } from '../application/accounts.js';
import { statement } from '../application/queries.js';
import { isAllowed } from './authorize.js';
import { callerOf, type RouteDeps } from './context.js';
import { principalOf } from './principal.js';
import * as s from './schemas.js';
import { notFound } from './errors.js';

const tags = ['payments'];
const base = '/accounts';

export function registerAccountRoutes(app: App, deps: RouteDeps): void {
  const { payments } = deps;
  app.get(base, { schema: { tags, response: { 200: s.pageOf(s.accountSchema) } } }, async (request) => listAccounts(payments, callerOf(request)));

  app.post(
    base,
    { schema: { tags, body: z.strictObject({ currency: s.currency }), response: { 201: s.accountSchema } } },
    async (request, reply) => reply.code(201).send(await openAccount(payments, callerOf(request), request.body.currency)),
  );

  app.get(`${base}/:id`, { schema: { tags, params: s.idParam, response: { 200: s.accountSchema } } }, async (request) => {
    // Reconcilers read any account; the decision is asked only when the caller is not the owner.
    const reader = callerOf(request);
    const own = await getAccount(payments, reader, request.params.id).catch(notFound);
    if (own) return own;
    const canReadAll = await isAllowed(deps.decide, principalOf(request), { action: 'payment:reconcile', resource: { type: 'account', id: request.params.id } });
    return getAccount(payments, callerOf(request, canReadAll), request.params.id);
  });

  app.get(
    `${base}/:id/statement`,
    {
      schema: {
        tags,
        params: s.idParam,
        querystring: z.strictObject({ from: z.iso.datetime().optional(), to: z.iso.datetime().optional(), limit: s.limit, cursor: s.cursor }),
        response: { 200: s.pageOf(s.statementEntrySchema) },
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
        params: s.idParam,
        querystring: z.strictObject({ at: z.iso.datetime() }),
        response: { 200: z.object({ accountId: z.uuid(), currency: s.currency, balance: z.string(), at: z.string() }) },
      }
    },
    async (request) => balanceAt(payments, callerOf(request), request.params.id, new Date(request.query.at)),
  );
}
