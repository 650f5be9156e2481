import { authorize } from '@elcorp/authz';
import type { App } from '@elcorp/kit';
import { assignRole, revokeRole, userRoles } from '../application/assignments.js';
import type { GovernanceDeps } from '../application/ports.js';
import { createRole, deleteRole, listRoles, updateRole } from '../application/roles.js';
import { callerOf } from './caller.js';
import * as s from '@elcorp/contracts/http';

const tags = ['governance'];

export function registerRoleRoutes(scope: App, deps: GovernanceDeps): void {
  scope.get('/roles', { schema: { tags, querystring: s.rolePageQuery, response: { 200: s.rolePageSchema } } }, async (request) => listRoles(deps, request.query));

  scope.post('/roles', { schema: { tags, body: s.createRoleBody, response: { 201: s.roleSchema } } }, async (request, reply) => {
    await authorize(request, 'role:manage', { type: 'Role', id: request.body.name });
    return reply.code(201).send(await createRole(deps, callerOf(request), request.body));
  });

  scope.patch('/roles/:name', { schema: { tags, params: s.roleParams, body: s.updateRoleBody, response: { 200: s.roleSchema } } }, async (request) => {
    await authorize(request, 'role:manage', { type: 'Role', id: request.params.name });
    return updateRole(deps, callerOf(request), request.params.name, request.body);
  });

  scope.delete('/roles/:name', { schema: { tags, params: s.roleParams } }, async (request, reply) => {
    await authorize(request, 'role:manage', { type: 'Role', id: request.params.name });
    await deleteRole(deps, callerOf(request), request.params.name);
    return reply.code(204).send();
  });

  scope.get('/users/:userId/roles', { schema: { tags, params: s.userParams, response: { 200: s.userRolesSchema } } }, async (request) => {
    if (callerOf(request).userId !== request.params.userId) await authorize(request, 'role:manage', { type: 'User', id: request.params.userId });
    return userRoles(deps, request.params.userId);
  });

  scope.put('/users/:userId/roles/:role', { schema: { tags, params: s.userRoleParams } }, async (request, reply) => {
    await authorize(request, 'role:manage', { type: 'Role', id: request.params.role });
    await assignRole(deps, callerOf(request), request.params.userId, request.params.role);
    return reply.code(204).send();
  });

  scope.delete('/users/:userId/roles/:role', { schema: { tags, params: s.userRoleParams } }, async (request, reply) => {
    await authorize(request, 'role:manage', { type: 'Role', id: request.params.role });
    await revokeRole(deps, callerOf(request), request.params.userId, request.params.role);
    return reply.code(204).send();
  });
}
