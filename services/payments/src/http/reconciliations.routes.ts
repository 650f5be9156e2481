import type { App } from '@elcorp/kit';
import { z } from 'zod';
import { listReconciliations, reconcile } from '../application/reconciliation.js';
import { authorize } from './authorize.js';
import { callerOf, type RouteDeps } from './context.js';
import { principalOf } from './principal.js';
import * as s from './schemas.js';

const tags = ['payments'];
const base = '/reconciliations';

export function registerReconciliationRoutes(app: App, deps: RouteDeps): void {
  const { payments, decide } = deps;
  const reconciler = { action: 'payment:reconcile' as const, resource: { type: 'ledger', id: 'payments' } };
  app.post(base, { schema: { tags, response: { 201: s.reconciliationSchema.extend({ currencyTotals: z.record(z.string(), z.string()) }) } } }, async (request, reply) => {
    await authorize(decide, principalOf(request), reconciler);
    return reply.code(201).send(await reconcile(payments, callerOf(request)));
  });

  app.get(
    base,
    { schema: { tags, querystring: z.strictObject({ limit: s.limit, cursor: s.cursor }), response: { 200: s.pageOf(s.reconciliationSchema) } } },
    async (request) => {
      await authorize(decide, principalOf(request), reconciler);
      return listReconciliations(payments, request.query);
    },
  );
}
