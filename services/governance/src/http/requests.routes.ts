import { authorize } from '@elcorp/authz';
import type { App } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';
import type { GovernanceDeps } from '../application/ports.js';
import { actOnRequest, createRequest, getRequest, listRequests, type StepCommand } from '../application/requests.js';
import { listSlaPolicies, replaceSlaPolicies } from '../application/sla-policies.js';
import { callerOf } from './caller.js';
import * as s from '@elcorp/contracts/http';

const tags = ['governance'];

export function registerRequestRoutes(scope: App, deps: GovernanceDeps): void {
  scope.post('/requests', { schema: { tags, body: s.createRequestBody, response: { 201: s.requestSchema } } }, async (request, reply) =>
    reply.code(201).send(await createRequest(deps, callerOf(request), request.body)),
  );

  scope.get('/requests', { schema: { tags, querystring: s.requestPageQuery, response: { 200: s.requestPageSchema } } }, async (request) =>
    listRequests(deps, callerOf(request), request.query),
  );

  scope.get('/requests/:id', { schema: { tags, params: s.requestParams, response: { 200: s.requestSchema } } }, async (request) =>
    getRequest(deps, callerOf(request), request.params.id),
  );

  // One route per step: each has its own body (API.md: {assigneeId} / {comment} / {reason}).
  const step = { tags, params: s.requestParams, response: { 200: s.requestSchema } };
  const act = (request: FastifyRequest & { params: { id: string } }, command: StepCommand) => actOnRequest(deps, callerOf(request), request.params.id, command);
  scope.post('/requests/:id/submit', { schema: { ...step, body: s.emptyStepBody } }, async (request) => act(request, { action: 'submit' }));
  scope.post('/requests/:id/assign', { schema: { ...step, body: s.assignBody } }, async (request) => act(request, { action: 'assign', assigneeId: request.body.assigneeId }));
  scope.post('/requests/:id/approve', { schema: { ...step, body: s.commentBody } }, async (request) =>
    act(request, { action: 'approve', ...(request.body?.comment ? { comment: request.body.comment } : {}) }),
  );
  scope.post('/requests/:id/reject', { schema: { ...step, body: s.rejectBody } }, async (request) => act(request, { action: 'reject', reason: request.body.reason }));
  scope.post('/requests/:id/complete', { schema: { ...step, body: s.commentBody } }, async (request) =>
    act(request, { action: 'complete', ...(request.body?.comment ? { comment: request.body.comment } : {}) }),
  );
  scope.post('/requests/:id/cancel', { schema: { ...step, body: s.cancelBody } }, async (request) =>
    act(request, { action: 'cancel', ...(request.body?.reason ? { reason: request.body.reason } : {}) }),
  );

  scope.get('/sla-policies', { schema: { tags, response: { 200: s.slaPoliciesSchema } } }, async () => listSlaPolicies(deps));

  scope.put('/sla-policies', { schema: { tags, body: s.slaPoliciesBody, response: { 200: s.slaPoliciesSchema } } }, async (request) => {
    await authorize(request, 'policy:manage', { type: 'Policy', id: 'sla' });
    return replaceSlaPolicies(deps, request.body);
  });
}
