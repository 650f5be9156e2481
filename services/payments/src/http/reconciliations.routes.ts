import type { App } from '@elcorp/kit';
import { listReconciliations, reconcile } from '../application/reconciliation.js';
import { authorize } from './authorize.js';
import { callerOf, type RouteDeps } from './context.js';
import { principalOf } from '@elcorp/auth/fastify';
import * as api from '@elcorp/contracts/http';

const tags = ['payments'];
const base = '/reconciliations';

export function registerReconciliationRoutes(app: App, deps: RouteDeps): void {
  const { payments, decide } = deps;
  const reconciler = { action: 'payment:reconcile' as const, resource: { type: 'Account' as const, id: '*' } };
  app.post(base, { schema: { tags, response: { 201: api.reconciliationResultSchema } } }, async (request, reply) => {
    authorize(decide, principalOf(request), reconciler);
    return reply.code(201).send(await reconcile(payments, callerOf(request)));
  });

  app.get(
    base,
    { schema: { tags, querystring: api.reconciliationListQuery, response: { 200: api.reconciliationPageSchema } } },
    async (request) => {
      authorize(decide, principalOf(request), reconciler);
      return listReconciliations(payments, request.query);
    },
  );
}
