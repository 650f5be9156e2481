import type { App } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';
import { changePassword, requestPasswordReset, resetPassword } from '../application/passwords.js';
import type { IdentityDeps } from '../application/ports.js';
import { requestContext } from './auth.routes.js';
import { principalOf } from './principal.js';
import * as api from '@elcorp/contracts/http';

export interface PasswordRouteDeps {
  identity: IdentityDeps;
  authenticate: (request: FastifyRequest) => Promise<void>;
}

export function registerPasswordRoutes(app: App, deps: PasswordRouteDeps): void {
  const { identity } = deps;

  app.post(
    '/api/v1/users/me/password',
    { schema: { tags: ['users'], body: api.changePasswordBody }, preHandler: deps.authenticate },
    async (request, reply) => {
      const me = principalOf(request);
      await changePassword(identity, { userId: me.userId, sessionId: me.sessionId, jkt: me.jkt, ...request.body, request: requestContext(request) });
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/v1/auth/password/forgot',
    { schema: { tags: ['auth'], body: api.forgotPasswordBody } },
    async (request, reply) => {
      await requestPasswordReset(identity, request.body);
      return reply.code(202).send();
    },
  );

  app.post(
    '/api/v1/auth/password/reset',
    { schema: { tags: ['auth'], body: api.resetPasswordBody } },
    async (request, reply) => {
      await resetPassword(identity, { ...request.body, request: requestContext(request) });
      return reply.code(204).send();
    },
  );
}
