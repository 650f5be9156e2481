import { verifyDpopProof } from '@elcorp/auth';
import type { App } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';
import { login, type SecondFactorCheck } from '../application/login.js';
import type { IdentityDeps, RequestContext } from '../application/ports.js';
import { refreshSession } from '../application/refresh-session.js';
import { registerUser } from '../application/register-user.js';
import { endSession, listSessions } from '../application/sessions.js';
import { findUserView, toUserView } from '../application/user-view.js';
import type {} from './client-address.js';
import { header, principalOf, publicUrlOf } from './principal.js';
import * as api from '@elcorp/contracts/http';

export interface AuthRouteDeps {
  identity: IdentityDeps;
  authenticate: (request: FastifyRequest) => Promise<void>;
  secondFactor: SecondFactorCheck;
}

export function requestContext(request: FastifyRequest): RequestContext {
  return { ip: request.clientAddress, userAgent: (header(request, 'user-agent') ?? '').slice(0, 512) };
}

/** Login and refresh bind to the key of a proof without `ath` (no access token yet). */
async function deviceKeyOf(deps: IdentityDeps, request: FastifyRequest): Promise<string> {
  const proof = await verifyDpopProof(header(request, 'dpop'), {
    method: request.method,
    url: publicUrlOf(deps.publicBaseUrl, request),
    replay: deps.replay,
  });
  return proof.jkt;
}

export function registerAuthRoutes(app: App, deps: AuthRouteDeps): void {
  const { identity } = deps;
  const tags = ['auth'];

  app.post(
    '/api/v1/auth/register',
    {
      schema: {
        tags,
        body: api.registerBody,
        response: { 201: api.userSchema },
      },
    },
    async (request, reply) => {
      const { user } = await registerUser(identity, request.body);
      const view = await findUserView(identity, user.id);
      return reply.code(201).send(view!);
    },
  );

  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags,
        body: api.loginBody,
        response: { 200: api.loginResponseSchema },
      },
    },
    async (request) => {
      const jkt = await deviceKeyOf(identity, request);
      const { pair, user, roles } = await login(identity, { ...request.body, jkt, request: requestContext(request) }, deps.secondFactor);
      // A successful login has just reset the lock, so the view needs no second query.
      return { ...pair, user: toUserView({ ...user, locked: false, roles }) };
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    { schema: { tags, body: api.refreshBody, response: { 200: api.tokenPairSchema } } },
    async (request) => {
      const jkt = await deviceKeyOf(identity, request);
      return refreshSession(identity, { refreshToken: request.body.refreshToken, jkt });
    },
  );

  app.post(
    '/api/v1/auth/logout',
    { schema: { tags }, preHandler: deps.authenticate },
    async (request, reply) => {
      const me = principalOf(request);
      await endSession(identity, me.userId, me.sessionId, 'logout', { userId: me.userId, sessionId: me.sessionId, ...requestContext(request) });
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/auth/sessions',
    { schema: { tags, response: { 200: api.sessionListSchema } }, preHandler: deps.authenticate },
    async (request) => {
      const me = principalOf(request);
      return { items: await listSessions(identity, me.userId, me.sessionId) };
    },
  );

  app.delete(
    '/api/v1/auth/sessions/:id',
    { schema: { tags, params: api.idParams }, preHandler: deps.authenticate },
    async (request, reply) => {
      const me = principalOf(request);
      await endSession(identity, me.userId, request.params.id, 'user', { userId: me.userId, sessionId: me.sessionId, ...requestContext(request) });
      return reply.code(204).send();
    },
  );
}
