import { kitErrors, pathOf, requireDpopInDocument, type App } from '@elcorp/kit';
import type { FastifyPluginAsync, FastifyRequest, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { dpopTokenFrom, type Principal } from '../access-token.js';
import type { SessionDenyList } from '../deny-list.js';
import { AuthError, invalidToken } from '../errors.js';
import { isAttestedProof } from '../proof-attestation.js';
import type { TokenVerifier } from '../verified-tokens.js';
import { authProblem, credentialsUnavailable } from './problems.js';

// The one declaration of what authentication adds to fastify, for every service.
declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the service-auth hook (or identity's own guard) once the caller is verified. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** `config: publicRoute` on a route inside protectedRoutes lets anonymous callers in. */
    public?: boolean;
  }
}

/** The route option that opts a route out of authentication: `scope.get(url, { config: publicRoute }, handler)`. */
export const publicRoute = { public: true } as const;

export interface ServiceAuth {
  /** Verifies access tokens: `cachedTokenVerifier(remoteJwks(...).getKey)`. */
  tokens: TokenVerifier;
  /** The session deny-list identity writes: `redisSessionDenyList(redis, REDIS_KEY_PREFIX)`. */
  denyList: SessionDenyList;
  /**
   * CLIENT_ADDRESS_SECRET, shared with the gateway: a request it attests it admitted (proof
   * verified, session not on the deny-list) skips the deny-list round trip. Absent: always read.
   */
  gatewaySecret?: string;
}

/**
 * Verifies the caller of one request: `Authorization: DPoP <access token>` (a Bearer-sent
 * token is refused), ES256 signature by one of identity's keys, iss, aud, exp, then the
 * session deny-list. Sets and returns request.principal. Throws the 401 problem of API.md,
 * or 503 when the deny-list cannot be read (fail closed). The DPoP proof is the gateway's
 * check (it holds the replay cache); a service behind it verifies the token again so that a
 * request reaching it by any other path is refused too. The deny-list is read again unless
 * the gateway attests (proof-attestation.ts) that it read it for this very request a moment
 * ago: a second read would only repeat the gateway's.
 */
export async function authenticateRequest(request: FastifyRequest, auth: ServiceAuth): Promise<Principal> {
  try {
    const claims = await auth.tokens.verify(dpopTokenFrom(request.headers.authorization));
    if (!admittedByGateway(request, auth)) {
      let denied: boolean;
      try {
        denied = await auth.denyList.isDenied(claims.sid);
      } catch (err) {
        throw credentialsUnavailable(err);
      }
      if (denied) throw invalidToken('session revoked');
    }
    const principal: Principal = { userId: claims.sub, sessionId: claims.sid, roles: claims.roles, jkt: claims.cnf.jkt };
    request.principal = principal;
    return principal;
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    request.log.info({ code: err.code, reason: err.reason }, 'credentials refused');
    throw authProblem(err);
  }
}

/** The gateway attests it read the deny-list for this very request (proof-attestation.ts). */
function admittedByGateway(request: FastifyRequest, auth: ServiceAuth): boolean {
  return auth.gatewaySecret !== undefined && isAttestedProof(request.headers, auth.gatewaySecret, request.method, pathOf(request.url));
}

export type RouteRegistrar = (scope: App) => Promise<void> | void;

/**
 * An encapsulated context whose routes all require a verified caller, unless a route says
 * `config: publicRoute`. Register it with a prefix so that any path under it, routed or not,
 * is refused to strangers with 401 (they learn nothing about which routes exist):
 *
 *   await app.register(protectedRoutes(auth, (scope) => { scope.get('/accounts', handler) }), { prefix: '/api/v1/payments' });
 *
 * Handlers read the caller with `principalOf(request)`.
 */
export function protectedRoutes(auth: ServiceAuth, routes: RouteRegistrar): FastifyPluginAsync<Record<never, never>, RawServerDefault, ZodTypeProvider> {
  return async (scope) => {
    // The document shows what the hook below enforces: every route but a publicRoute needs DPoP.
    scope.addHook('onRoute', (route) => {
      if (route.config?.public !== true) requireDpopInDocument(route);
    });
    scope.addHook('onRequest', async (request) => {
      if (request.routeOptions.config.public === true) return;
      await authenticateRequest(request, auth);
    });
    // Unrouted paths under the prefix pass the same hook first: 401 to strangers, 404 to callers.
    scope.setNotFoundHandler((request) => {
      throw kitErrors.notFound(`no route for ${request.method} ${request.url.split('?')[0]}`);
    });
    await routes(scope as App);
  };
}

/** The verified caller of a protected route; calling it on a public one is a programming error. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error(`${request.method} ${request.routeOptions.url ?? request.url} is not behind authentication`);
  return request.principal;
}
