import type { Actor } from '@elcorp/contracts';
import type { App } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';
import { eraseOwnAccount, eraseUser } from '../application/erasure.js';
import type { IdentityDeps } from '../application/ports.js';
import { decodeUserCursor, getUser, listUsers, lookupByEmail, unlockUser, updateProfile } from '../application/users.js';
import { identityErrors } from '../domain/errors.js';
import { requestContext } from './auth.routes.js';
import { mayReadUser, requireOnDirectory, requireOnUser } from './authorize.js';
import { loadedBy, principalOf, sessionEnded, type Authenticators } from './principal.js';
import { ownViews, type UserView } from '../application/user-view.js';
import * as api from '@elcorp/contracts/http';

export interface UserRouteDeps {
  identity: IdentityDeps;
  authenticate: (request: FastifyRequest) => Promise<void>;
  authenticateLoading: Authenticators['authenticateLoading'];
}

const tags = ['users'];

function actorOf(request: FastifyRequest): Actor {
  const me = principalOf(request);
  return { userId: me.userId, sessionId: me.sessionId, ...requestContext(request) };
}

export function registerUserRoutes(app: App, deps: UserRouteDeps): void {
  const { identity, authenticate } = deps;
  registerOwnViewRoute(app, identity, deps.authenticateLoading);
  registerProfileRoutes(app, identity, authenticate);
  registerAdminRoutes(app, identity, authenticate);
}

/**
 * The hottest authenticated route: its guard checks the session with the statement that reads
 * the view (one round trip where `authenticate` then `getUser` took three).
 */
function registerOwnViewRoute(app: App, identity: IdentityDeps, authenticateLoading: UserRouteDeps['authenticateLoading']): void {
  const own = ownViews(identity);
  const guard = authenticateLoading(async (principal, now) => {
    const found = await own(principal, now);
    return found.sessionLives ? found.view : sessionEnded;
  });
  app.get('/api/v1/users/me', { schema: { tags, response: { 200: api.userSchema } }, preHandler: guard }, async (request) => {
    const view = loadedBy<UserView | undefined>(request);
    if (!view) throw identityErrors.userNotFound();
    return view;
  });
}

function registerProfileRoutes(app: App, identity: IdentityDeps, authenticate: UserRouteDeps['authenticate']): void {

  app.patch(
    '/api/v1/users/me',
    {
      schema: {
        tags,
        body: api.profileUpdateBody,
        response: { 200: api.userSchema },
      },
      preHandler: authenticate,
    },
    async (request) => updateProfile(identity, principalOf(request).userId, request.body, actorOf(request)),
  );

  app.delete(
    '/api/v1/users/me',
    { schema: { tags, body: api.eraseOwnAccountBody, response: { 202: api.erasureReceiptSchema } }, preHandler: authenticate },
    async (request, reply) => {
      const me = principalOf(request);
      const receipt = await eraseOwnAccount(identity, me.userId, request.body.password, actorOf(request), { jkt: me.jkt, request: requestContext(request) });
      return reply.code(202).send(receipt);
    },
  );

  app.get(
    '/api/v1/users/lookup',
    {
      schema: { tags, querystring: api.userLookupQuery, response: { 200: api.userLookupSchema } },
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
        querystring: api.userListQuery.extend({
          cursor: api.cursorSchema.refine((cursor) => decodeUserCursor(cursor) !== undefined, 'not a cursor from a previous page').optional(),
        }),
        response: { 200: api.userPageSchema },
      },
      preHandler: [authenticate, requireOnDirectory('user:read')],
    },
    async (request) => listUsers(identity, request.query),
  );

  app.get(
    '/api/v1/users/:id',
    { schema: { tags, params: api.idParams, response: { 200: api.userSchema } }, preHandler: authenticate },
    async (request) => {
      const me = principalOf(request);
      // Self needs no permission. Without user:read (no role grants it), someone else's id
      // answers as an unknown one: existence stays hidden. A forbid policy answers its 403.
      if (request.params.id !== me.userId && !(await mayReadUser(request, request.params.id))) throw identityErrors.userNotFound();
      return getUser(identity, request.params.id);
    },
  );

  app.post(
    '/api/v1/users/:id/unlock',
    { schema: { tags, params: api.idParams }, preHandler: [authenticate, requireOnUser('user:update')] },
    async (request, reply) => {
      await unlockUser(identity, request.params.id, actorOf(request));
      return reply.code(204).send();
    },
  );

  app.delete(
    '/api/v1/users/:id',
    { schema: { tags, params: api.idParams, response: { 202: api.erasureReceiptSchema } }, preHandler: [authenticate, requireOnUser('user:delete')] },
    async (request, reply) => {
      const receipt = await eraseUser(identity, request.params.id, actorOf(request));
      return reply.code(202).send(receipt);
    },
  );
}
