import { dpopTokenFrom, type Principal, invalidToken, verifyAccessToken, verifyDpopProof, type ReplayGuard } from '@elcorp/auth';
import type { Kysely } from '@elcorp/db';
import type { FastifyRequest } from 'fastify';
import type { JWTVerifyGetKey } from 'jose';
import type { IdentityDB } from '../infrastructure/db/schema.js';

export type { Principal };


declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface AuthenticationDeps {
  db: Kysely<IdentityDB>;
  keys: JWTVerifyGetKey;
  replay: ReplayGuard;
  publicBaseUrl: string;
  now: () => Date;
}

/** The URL a client signs in `htu`: the public origin plus the path, never the query. */
export function publicUrlOf(publicBaseUrl: string, request: FastifyRequest): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}${request.url.split('?')[0]}`;
}

/**
 * Verifies `Authorization: DPoP <token>` and its proof, and that the session still lives.
 * Identity checks the proof itself rather than trusting the network (the gateway checks it
 * too, against its own replay cache). Failures become problems through the app's mapError.
 */
export function authenticate(deps: AuthenticationDeps) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = dpopTokenFrom(request.headers.authorization);
    const claims = await verifyAccessToken(token, { keys: deps.keys });
    await verifyDpopProof(header(request, 'dpop'), {
      method: request.method,
      url: publicUrlOf(deps.publicBaseUrl, request),
      accessToken: token,
      expectedJkt: claims.cnf.jkt,
      replay: deps.replay,
    });
    const session = await deps.db
      .selectFrom('sessions')
      .select(['revoked_at', 'expires_at'])
      .where('id', '=', claims.sid)
      .where('user_id', '=', claims.sub)
      .executeTakeFirst();
    if (!session || session.revoked_at || session.expires_at <= deps.now()) throw invalidToken('session revoked or expired');
    request.principal = { userId: claims.sub, sessionId: claims.sid, roles: claims.roles, jkt: claims.cnf.jkt };
  };
}

export function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The authenticated principal of a route guarded by `authenticate`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route is not guarded by authenticate()');
  return request.principal;
}
