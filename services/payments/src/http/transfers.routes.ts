import type { App } from '@elcorp/kit';
import { z } from 'zod';
import { approveTransfer, rejectTransfer } from '../application/approvals.js';
import { getTransfer, listTransfers } from '../application/queries.js';
import { receiptOf } from '../application/receipts.js';
import { createDeposit, createTransfer, postTransferAtOnce } from '../application/transfers.js';
import { fail } from '../domain/errors.js';
import { authorize, isAllowed } from './authorize.js';
import { amountOf, callerOf, idempotencyKeyOf, idempotentRequestOf, sendIdempotent, sendSerialized, type RouteDeps } from './context.js';
import { principalOf } from '@elcorp/auth/fastify';
import * as api from '@elcorp/contracts/http';
import { notFound } from './errors.js';

const tags = ['payments'];
const base = '';

export function registerTransferRoutes(app: App, deps: RouteDeps): void {
  registerMoneyMoving(app, deps);
  registerDecisions(app, deps);
  registerReads(app, deps);
}

function registerMoneyMoving(app: App, deps: RouteDeps): void {
  const { payments, decide } = deps;
  app.post(
    `${base}/deposits`,
    { schema: { tags, body: api.depositBody, response: { 201: api.transferSchema } } },
    async (request, reply) => {
      const key = idempotencyKeyOf(request);
      const { accountId, currency, reference } = request.body;
      const amountMinor = amountOf(request.body.amount, currency);
      authorize(decide, principalOf(request), { action: 'payment:deposit', resource: { type: 'Account', id: accountId }, context: { amountMinor: Number(amountMinor), currency } });
      const caller = callerOf(request);
      return sendIdempotent(deps, request, reply, key, async (uow) => ({ status: 201, body: await createDeposit(payments, uow, caller, { accountId, amountMinor, currency, reference }) }));
    },
  );

  app.post(
    `${base}/transfers`,
    { schema: { tags, body: api.transferBody, response: { 201: api.transferSchema, 202: api.transferSchema } } },
    async (request, reply) => {
      const key = idempotencyKeyOf(request);
      const { fromAccountId, to, currency, description } = request.body;
      const amountMinor = amountOf(request.body.amount, currency);
      const me = principalOf(request);
      authorize(decide, me, { action: 'payment:create', resource: { type: 'Account', id: fromAccountId }, context: { amountMinor: Number(amountMinor), currency } });
      const caller = callerOf(request);
      const idempotent = idempotentRequestOf(request, key);
      const wanted = { fromAccountId, to, amountMinor, currency, description };
      // The common case in one round trip; whatever it does not simply post takes the general path.
      const posted = await postTransferAtOnce(payments, caller, wanted, idempotent);
      if (posted !== undefined) return sendSerialized(reply, 201, posted);
      return sendIdempotent(deps, request, reply, idempotent, async (uow) => {
        const transfer = await createTransfer(payments, uow, caller, wanted);
        return { status: transfer.status === 'pending_approval' ? 202 : 201, body: transfer };
      });
    },
  );
}

function registerDecisions(app: App, deps: RouteDeps): void {
  const { payments, decide } = deps;
  const approverCheck = async (request: Parameters<typeof principalOf>[0], transferId: string) => {
    const held = await payments.db.selectFrom('transfers').select(['amount', 'currency']).where('id', '=', transferId).executeTakeFirst();
    authorize(decide, principalOf(request), {
      action: 'payment:approve',
      resource: { type: 'Transfer', id: transferId },
      ...(held ? { context: { amountMinor: Number(held.amount), currency: held.currency } } : {}),
    });
    if (!held) fail('payments.transfer_not_found', 'no such transfer');
  };

  app.post(`${base}/transfers/:id/approve`, { schema: { tags, params: api.idParams, response: { 200: api.transferSchema } } }, async (request) => {
    await approverCheck(request, request.params.id);
    return approveTransfer(payments, callerOf(request), request.params.id);
  });

  app.post(
    `${base}/transfers/:id/reject`,
    { schema: { tags, params: api.idParams, body: api.rejectTransferBody, response: { 200: api.transferSchema } } },
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
        querystring: api.transferListQuery,
        response: { 200: api.transferPageSchema },
      }
    },
    async (request) => listTransfers(payments, callerOf(request), request.query),
  );

  app.get(`${base}/transfers/:id`, { schema: { tags, params: api.idParams, response: { 200: api.transferSchema } } }, async (request) => {
    const own = await getTransfer(payments, callerOf(request), request.params.id).catch(notFound);
    if (own) return own;
    const canReadAll = isAllowed(decide, principalOf(request), { action: 'payment:reconcile', resource: { type: 'Transfer', id: request.params.id } });
    return getTransfer(payments, callerOf(request, canReadAll), request.params.id);
  });

  app.get(
    `${base}/transfers/:id/receipt`,
    { schema: { tags, params: api.idParams, response: { 200: api.receiptSchema.or(z.instanceof(Buffer)) } } },
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
