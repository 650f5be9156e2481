import type { Actor } from '@elcorp/contracts';
import type { App } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { eraseOwnAccount, eraseUser } from '../application/erasure.js';
import type { IdentityDeps } from '../application/ports.js';
import { decodeUserCursor, getUser, listUsers, lookupByEmail, unlockUser, updateProfile } from '../application/users.js';
import { identityErrors } from '../domain/errors.js';
import { requestContext } from './auth.routes.js';
import { hasPermission, requirePermission } from './authorize.js';
import { principalOf } from './principal.js';
import * as s from './schemas.js';

export interface UserRouteDeps {
  identity: IdentityDeps;
  authenticate: (request: FastifyRequest) => Promise<void>;
}

const tags = ['users'];
const userId = z.strictObject({ id: z.uuid() });
const erased = z.object({ id: z.uuid(), status: z.literal('erased') });

function actorOf(request: FastifyRequest): Actor {
  const me = principalOf(request);
  return { userId: me.userId, sessionId: me.sessionId, ...requestContext(request) };
}

export function registerUserRoutes(app: App, deps: UserRouteDeps): void {
  const { identity, authenticate } = deps;
  registerProfileRoutes(app, identity, authenticate);
  registerAdminRoutes(app, identity, authenticate);
}

function registerProfileRoutes(app: App, identity: IdentityDeps, authenticate: UserRouteDeps['authenticate']): void {
  app.get('/api/v1/users/me', { schema: { tags, response: { 200: s.userSchema } }, preHandler: authenticate }, async (request) =>
    getUser(identity, principalOf(request).userId),
  );

  app.patch(
    '/api/v1/users/me',
    {
      schema: {
        tags,
        body: z
          .strictObject({ fullName: s.fullName.optional(), phone: s.phone.optional() })
          .refine((body) => body.fullName !== undefined || body.phone !== undefined, 'give fullName, phone or both'),
        response: { 200: s.userSchema },
      },
      preHandler: authenticate,
    },
    async (request) => updateProfile(identity, principalOf(request).userId, request.body, actorOf(request)),
  );

  app.delete(
    '/api/v1/users/me',
    { schema: { tags, body: z.strictObject({ password: s.password }), response: { 202: erased } }, preHandler: authenticate },
    async (request, reply) => {
      const receipt = await eraseOwnAccount(identity, principalOf(request).userId, request.body.password, actorOf(request));
      return reply.code(202).send(receipt);
    },
  );

  app.get(
    '/api/v1/users/lookup',
    {
      schema: { tags, querystring: z.strictObject({ email: s.email }), response: { 200: z.object({ id: z.uuid(), displayName: z.string() }) } },
      preHandler: authenticate,
    },
    async (request) => lookupByEmail(identity, request.query.email),
  );
}

function registerAdminRoutes(app: App, identity: IdentityDeps, authenticate: UserRouteDeps['authenticate']): void {
  app.get(
    '/api/v1/users',
    {
      schema: {
        tags,
        querystring: z.strictObject({
          q: z.string().max(200).optional(),
          limit: z.coerce.number().int().min(1).max(100).default(20),
          cursor: z
            .string()
            .max(200)
            .refine((cursor) => decodeUserCursor(cursor) !== undefined, 'not a cursor from a previous page')
            .optional(),
        }),
        response: { 200: z.object({ items: z.array(s.userSchema), nextCursor: z.string().nullable() }) },
      },
      preHandler: [authenticate, requirePermission('user:read')],
    },
    async (request) => listUsers(identity, request.query),
  );

  app.get(
    '/api/v1/users/:id',
    { schema: { tags, params: userId, response: { 200: s.userSchema } }, preHandler: authenticate },
    async (request) => {
      const me = principalOf(request);
      // Without user:read, someone else's id answers as an unknown one: existence stays hidden.
      if (request.params.id !== me.userId && !hasPermission(me, 'user:read')) throw identityErrors.userNotFound();
      return getUser(identity, request.params.id);
    },
  );

  app.post(
    '/api/v1/users/:id/unlock',
    { schema: { tags, params: userId }, preHandler: [authenticate, requirePermission('user:update')] },
    async (request, reply) => {
      await unlockUser(identity, request.params.id, actorOf(request));
      return reply.code(204).send();
    },
  );

  app.delete(
    '/api/v1/users/:id',
    { schema: { tags, params: userId, response: { 202: erased } }, preHandler: [authenticate, requirePermission('user:delete')] },
    async (request, reply) => {
      const receipt = await eraseUser(identity, request.params.id, actorOf(request));
      return reply.code(202).send(receipt);
    },
  );
}
