import { verifyDpopProof } from '@elcorp/auth';
import { AppError, type App } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';
import { beginTotpSetup, confirmTotp, disableTotp } from '../application/mfa-enrolment.js';
import { requestSmsCode } from '../application/mfa.js';
import type { IdentityDeps } from '../application/ports.js';
import { IdentityError } from '../domain/errors.js';
import { requestContext } from './auth.routes.js';
import { header, principalOf, publicUrlOf } from './principal.js';
import * as api from '@elcorp/contracts/http';

export interface MfaRouteDeps {
  identity: IdentityDeps;
  authenticate: (request: FastifyRequest) => Promise<void>;
}

/**
 * On the signed-in MFA routes a wrong code is a wrong field of an accepted request: 422, as
 * API.md lists, where login answers 401 (no session yet; 401 also carries a DPoP challenge
 * that would tell the client its token is bad). Same stable code, another status.
 */
async function wrongCodeAs422<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof IdentityError && err.code === 'identity.invalid_otp') {
      throw new AppError(422, err.code, 'Invalid one-time code', { detail: err.message, cause: err });
    }
    throw err;
  }
}

export function registerMfaRoutes(app: App, deps: MfaRouteDeps): void {
  const { identity } = deps;
  const tags = ['mfa'];

  app.post(
    '/api/v1/users/me/mfa/totp',
    { schema: { tags, response: { 200: api.totpSetupSchema } }, preHandler: deps.authenticate },
    async (request) => beginTotpSetup(identity, principalOf(request).userId),
  );

  app.post(
    '/api/v1/users/me/mfa/totp/confirm',
    { schema: { tags, body: api.otpBody, response: { 200: api.recoveryCodesSchema } }, preHandler: deps.authenticate },
    async (request) => {
      const me = principalOf(request);
      const actor = { userId: me.userId, sessionId: me.sessionId, ...requestContext(request) };
      return { recoveryCodes: await wrongCodeAs422(confirmTotp(identity, me.userId, request.body.otp, actor, { jkt: me.jkt, request: requestContext(request) })) };
    },
  );

  app.delete(
    '/api/v1/users/me/mfa/totp',
    { schema: { tags, body: api.otpBody }, preHandler: deps.authenticate },
    async (request, reply) => {
      const me = principalOf(request);
      const actor = { userId: me.userId, sessionId: me.sessionId, ...requestContext(request) };
      await wrongCodeAs422(disableTotp(identity, me.userId, request.body.otp, actor, { jkt: me.jkt, request: requestContext(request) }));
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/v1/auth/mfa/sms',
    { schema: { tags: ['auth'], body: api.smsCodeBody } },
    async (request, reply) => {
      // Like login: a proof without `ath` (no token yet), so a request cannot be replayed.
      const proof = await verifyDpopProof(header(request, 'dpop'), { method: request.method, url: publicUrlOf(identity.publicBaseUrl, request), replay: identity.replay });
      await requestSmsCode(identity, { ...request.body, jkt: proof.jkt, request: requestContext(request) });
      return reply.code(202).send();
    },
  );
}
