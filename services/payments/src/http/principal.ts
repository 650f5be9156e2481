import { dpopTokenFrom, verifyAccessToken, type Principal } from '@elcorp/auth';
import type { FastifyRequest } from 'fastify';
import type { JWTVerifyGetKey } from 'jose';

export type { Principal };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export type Authenticate = (request: FastifyRequest) => Promise<void>;

/**
 * Verifies the access token's signature and claims against identity's keys (defence in
 * depth: the gateway has already checked the DPoP proof and the session deny-list).
 * Interim until the platform's service auth plugin (issue 8) lands and replaces it.
 */
export function accessTokenGuard(keys: JWTVerifyGetKey): Authenticate {
  return async (request) => {
    const claims = await verifyAccessToken(dpopTokenFrom(request.headers.authorization), { keys });
    request.principal = { userId: claims.sub, sessionId: claims.sid, roles: claims.roles, jkt: claims.cnf.jkt };
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route is not guarded by authenticate()');
  return request.principal;
}
