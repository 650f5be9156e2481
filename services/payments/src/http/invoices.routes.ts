import type { App } from '@elcorp/kit';
import { cancelInvoice, getInvoice, issueInvoice, listInvoices, payInvoice } from '../application/invoices.js';
import { authorize } from './authorize.js';
import { amountOf, callerOf, idempotencyKeyOf, sendIdempotent, type RouteDeps } from './context.js';
import { principalOf } from '@elcorp/auth/fastify';
import * as api from '@elcorp/contracts/http';

const tags = ['payments'];
const base = '/invoices';

export function registerInvoiceRoutes(app: App, deps: RouteDeps): void {
  const { payments, decide } = deps;
  app.post(base, { schema: { tags, body: api.issueInvoiceBody, response: { 201: api.invoiceSchema } } }, async (request, reply) => {
    const { payerId, currency, description, dueDate } = request.body;
    const amountMinor = amountOf(request.body.amount, currency);
    return reply.code(201).send(await issueInvoice(payments, callerOf(request), { payerId, amountMinor, currency, description, dueDate }));
  });

  app.get(
    base,
    { schema: { tags, querystring: api.invoiceListQuery, response: { 200: api.invoicePageSchema } } },
    async (request) => listInvoices(payments, callerOf(request), request.query),
  );

  app.get(`${base}/:id`, { schema: { tags, params: api.idParams, response: { 200: api.invoiceSchema } } }, async (request) =>
    getInvoice(payments, callerOf(request), request.params.id),
  );

  app.post(
    `${base}/:id/pay`,
    { schema: { tags, params: api.idParams, body: api.payInvoiceBody, response: { 200: api.invoiceSchema, 202: api.invoiceSchema } } },
    async (request, reply) => {
      const key = idempotencyKeyOf(request);
      const invoice = await getInvoice(payments, callerOf(request), request.params.id);
      authorize(decide, principalOf(request), {
        action: 'payment:create',
        resource: { type: 'Account', id: request.body.fromAccountId },
        context: { amountMinor: Number(amountOf(invoice.amount, invoice.currency)), currency: invoice.currency },
      });
      const caller = callerOf(request);
      return sendIdempotent(deps, request, reply, key, async (uow) => {
        const paid = await payInvoice(payments, uow, caller, request.params.id, request.body.fromAccountId);
        return { status: paid.posted ? 200 : 202, body: paid.invoice };
      });
    },
  );

  app.post(`${base}/:id/cancel`, { schema: { tags, params: api.idParams, response: { 200: api.invoiceSchema } } }, async (request) =>
    cancelInvoice(payments, callerOf(request), request.params.id),
  );
}
