import type { App } from '@elcorp/kit';
import { z } from 'zod';
import { cancelInvoice, getInvoice, issueInvoice, listInvoices, payInvoice } from '../application/invoices.js';
import { authorize } from './authorize.js';
import { amountOf, callerOf, idempotencyKeyOf, sendIdempotent, type RouteDeps } from './context.js';
import { principalOf } from './principal.js';
import * as s from './schemas.js';

const tags = ['payments'];
const base = '/invoices';

const issueBody = z.strictObject({
  payerId: z.uuid(),
  amount: s.amountText,
  currency: s.currency,
  description: z.string().trim().min(1).max(500),
  dueDate: z.iso.date(),
});

export function registerInvoiceRoutes(app: App, deps: RouteDeps): void {
  const { payments, decide } = deps;
  app.post(base, { schema: { tags, body: issueBody, response: { 201: s.invoiceSchema } } }, async (request, reply) => {
    const { payerId, currency, description, dueDate } = request.body;
    const amountMinor = amountOf(request.body.amount, currency);
    return reply.code(201).send(await issueInvoice(payments, callerOf(request), { payerId, amountMinor, currency, description, dueDate }));
  });

  app.get(
    base,
    { schema: { tags, querystring: z.strictObject({ role: z.enum(['payer', 'payee']).default('payee'), limit: s.limit, cursor: s.cursor }), response: { 200: s.pageOf(s.invoiceSchema) } } },
    async (request) => listInvoices(payments, callerOf(request), request.query),
  );

  app.get(`${base}/:id`, { schema: { tags, params: s.idParam, response: { 200: s.invoiceSchema } } }, async (request) =>
    getInvoice(payments, callerOf(request), request.params.id),
  );

  app.post(
    `${base}/:id/pay`,
    { schema: { tags, params: s.idParam, body: z.strictObject({ fromAccountId: z.uuid() }), response: { 200: s.invoiceSchema, 202: s.invoiceSchema } } },
    async (request, reply) => {
      const key = idempotencyKeyOf(request);
      const invoice = await getInvoice(payments, callerOf(request), request.params.id);
      await authorize(decide, principalOf(request), {
        action: 'payment:create',
        resource: { type: 'invoice', id: invoice.id, attributes: { owner: invoice.payerId } },
        context: { amountMinor: Number(amountOf(invoice.amount, invoice.currency)), currency: invoice.currency },
      });
      const caller = callerOf(request);
      return sendIdempotent(deps, request, reply, key, async (uow) => {
        const paid = await payInvoice(payments, uow, caller, request.params.id, request.body.fromAccountId);
        return { status: paid.posted ? 200 : 202, body: paid.invoice };
      });
    },
  );

  app.post(`${base}/:id/cancel`, { schema: { tags, params: s.idParam, response: { 200: s.invoiceSchema } } }, async (request) =>
    cancelInvoice(payments, callerOf(request), request.params.id),
  );
}
