import { authorize } from '@elcorp/authz';
import type { App } from '@elcorp/kit';
import { createPolicy, deletePolicy, explain, listPolicies } from '../application/policies.js';
import type { GovernanceDeps } from '../application/ports.js';
import { callerOf } from './caller.js';
import * as s from '@elcorp/contracts/http';

const tags = ['governance'];

export function registerPolicyRoutes(scope: App, deps: GovernanceDeps): void {
  scope.get('/policies', { schema: { tags, querystring: s.policyPageQuery, response: { 200: s.policyPageSchema } } }, async (request) => {
    await authorize(request, 'policy:manage', { type: 'Policy', id: '*' });
    return listPolicies(deps, request.query);
  });

  scope.post('/policies', { schema: { tags, body: s.createPolicyBody, response: { 201: s.policySchema } } }, async (request, reply) => {
    await authorize(request, 'policy:manage', { type: 'Policy', id: request.body.id });
    return reply.code(201).send(await createPolicy(deps, callerOf(request), request.body));
  });

  scope.delete('/policies/:id', { schema: { tags, params: s.policyParams } }, async (request, reply) => {
    await authorize(request, 'policy:manage', { type: 'Policy', id: request.params.id });
    await deletePolicy(deps, callerOf(request), request.params.id);
    return reply.code(204).send();
  });

  scope.post('/authorize', { schema: { tags, body: s.authorizeBody, response: { 200: s.authorizeSchema } } }, async (request) => {
    await authorize(request, 'policy:manage', { type: 'Policy', id: '*' });
    return explain(deps, request.body);
  });
}
