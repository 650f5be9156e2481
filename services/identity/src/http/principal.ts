import { cachedTokenVerifier, dpopTokenFrom, type Principal, invalidToken, verifyDpopProof, type ReplayGuard } from '@elcorp/auth';
import { principalOf } from '@elcorp/auth/fastify';
import type { Kysely } from '@elcorp/db';
import { documentedAsDpop } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';
import type { JWTVerifyGetKey } from 'jose';
import type { IdentityDB } from '../infrastructure/db/schema.js';

// request.principal is declared once, in @elcorp/auth/fastify, for every service.
export { principalOf, type Principal };

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
 * The token part is the fleet's (@elcorp/auth: scheme, ES256, iss, aud, exp, kid, the
 * verified-token cache); identity adds the proof, checked itself rather than trusting the
 * network (the gateway checks it too, against its own replay cache), and its sessions
 * table, which knows more than the deny-list (expiry, revocation before Redis heard of it).
 * Failures become problems through the app's mapError (mapAuthError).
 */
export function authenticate(deps: AuthenticationDeps) {
  const tokens = cachedTokenVerifier(deps.keys);
  // Marked, so the OpenAPI document shows every route it guards as needing the dpop scheme.
  return documentedAsDpop(async (request: FastifyRequest): Promise<void> => {
    const token = dpopTokenFrom(request.headers.authorization);
    const claims = await tokens.verify(token);
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
  });
}

export function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}
