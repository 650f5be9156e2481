import type { App } from '@elcorp/kit';
import { z } from 'zod';
import { approveTransfer, rejectTransfer } from '../application/approvals.js';
import { getTransfer, listTransfers } from '../application/queries.js';
import { receiptOf } from '../application/receipts.js';
import { createDeposit, createTransfer } from '../application/transfers.js';
import { fail } from '../domain/errors.js';
import { authorize, isAllowed } from './authorize.js';
import { amountOf, callerOf, idempotencyKeyOf, sendIdempotent, type RouteDeps } from './context.js';
import { principalOf } from './principal.js';
import * as s from './schemas.js';
import { notFound } from './errors.js';

const tags = ['payments'];
const base = '';

const transferBody = z.strictObject({
  fromAccountId: z.uuid(),
  to: z.union([z.strictObject({ accountId: z.uuid() }), z.strictObject({ userId: z.uuid() })]),
  amount: s.amountText,
  currency: s.currency,
  description: z.string().trim().min(1).max(140).optional(),
});

const depositBody = z.strictObject({ accountId: z.uuid(), amount: s.amountText, currency: s.currency, reference: z.string().trim().min(1).max(140) });

export function registerTransferRoutes(app: App, deps: RouteDeps): void {
  registerMoneyMoving(app, deps);
  registerDecisions(app, deps);
  registerReads(app, deps);
}

function registerMoneyMoving(app: App, deps: RouteDeps): void {
  const { payments, decide } = deps;
  app.post(
    `${base}/deposits`,
    { schema: { tags, body: depositBody, response: { 201: s.transferSchema } } },
    async (request, reply) => {
      const key = idempotencyKeyOf(request);
      const { accountId, currency, reference } = request.body;
      const amountMinor = amountOf(request.body.amount, currency);
      await authorize(decide, principalOf(request), { action: 'payment:deposit', resource: { type: 'account', id: accountId }, context: { amountMinor: Number(amountMinor), currency } });
      const caller = callerOf(request);
      return sendIdempotent(deps, request, reply, key, async (uow) => ({ status: 201, body: await createDeposit(payments, uow, caller, { accountId, amountMinor, currency, reference }) }));
    },
  );

  app.post(
    `${base}/transfers`,
    { schema: { tags, body: transferBody, response: { 201: s.transferSchema, 202: s.transferSchema } } },
    async (request, reply) => {
      const key = idempotencyKeyOf(request);
      const { fromAccountId, to, currency, description } = request.body;
      const amountMinor = amountOf(request.body.amount, currency);
      const me = principalOf(request);
      await authorize(decide, me, { action: 'payment:create', resource: { type: 'account', id: fromAccountId }, context: { amountMinor: Number(amountMinor), currency } });
      const caller = callerOf(request);
      return sendIdempotent(deps, request, reply, key, async (uow) => {
        const transfer = await createTransfer(payments, uow, caller, { fromAccountId, to, amountMinor, currency, description });
        return { status: transfer.status === 'pending_approval' ? 202 : 201, body: transfer };
      });
    },
  );
}

function registerDecisions(app: App, deps: RouteDeps): void {
  const { payments, decide } = deps;
  const approverCheck = async (request: Parameters<typeof principalOf>[0], transferId: string) => {
    const held = await payments.db.selectFrom('transfers').select(['amount', 'currency']).where('id', '=', transferId).executeTakeFirst();
    await authorize(decide, principalOf(request), {
      action: 'payment:approve',
      resource: { type: 'transfer', id: transferId },
      ...(held ? { context: { amountMinor: Number(held.amount), currency: held.currency } } : {}),
    });
    if (!held) fail('payments.transfer_not_found', 'no such transfer');
  };

  app.post(`${base}/transfers/:id/approve`, { schema: { tags, params: s.idParam, response: { 200: s.transferSchema } } }, async (request) => {
    await approverCheck(request, request.params.id);
    return approveTransfer(payments, callerOf(request), request.params.id);
  });

  app.post(
    `${base}/transfers/:id/reject`,
    { schema: { tags, params: s.idParam, body: z.strictObject({ reason: z.string().trim().min(1).max(500) }), response: { 200: s.transferSchema } } },
    async (request) => {
      await approverCheck(request, request.params.id);
      return rejectTransfer(payments, callerOf(request), request.params.id, request.body.reason);
    },
  );
}

function registerReads(app: App, deps: RouteDeps): void {
  const { payments, decide } = deps;
  app.get(
    `${base}/transfers`,
    {
      schema: {
        tags,
        querystring: z.strictObject({ accountId: z.uuid().optional(), status: z.enum(['posted', 'pending_approval', 'rejected']).optional(), limit: s.limit, cursor: s.cursor }),
        response: { 200: s.pageOf(s.transferSchema) },
      }
    },
    async (request) => listTransfers(payments, callerOf(request), request.query),
  );

  app.get(`${base}/transfers/:id`, { schema: { tags, params: s.idParam, response: { 200: s.transferSchema } } }, async (request) => {
    const own = await getTransfer(payments, callerOf(request), request.params.id).catch(notFound);
    if (own) return own;
    const canReadAll = await isAllowed(decide, principalOf(request), { action: 'payment:reconcile', resource: { type: 'transfer', id: request.params.id } });
    return getTransfer(payments, callerOf(request, canReadAll), request.params.id);
  });

  app.get(
    `${base}/transfers/:id/receipt`,
    { schema: { tags, params: s.idParam, response: { 200: s.receiptSchema.or(z.any()) } } },
    async (request, reply) => {
      const receipt = await receiptOf(payments, callerOf(request), request.params.id);
      if (prefersPdf(request.headers.accept)) {
        return reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="receipt-${receipt.transferId}.pdf"`)
          .send(await deps.renderReceiptPdf(receipt));
      }
      return receipt;
    },
  );
}

/** application/pdf when the client asks for it ahead of JSON; JSON otherwise. */
function prefersPdf(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  const pdf = types.indexOf('application/pdf');
  const json = types.indexOf('application/json');
  return pdf !== -1 && (json === -1 || pdf < json);
}
