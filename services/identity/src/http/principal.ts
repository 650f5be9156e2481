import { cachedTokenVerifier, dpopTokenFrom, isAttestedProof, type Principal, invalidToken, verifyDpopProof, type ReplayGuard } from '@elcorp/auth';
import { principalOf } from '@elcorp/auth/fastify';
import { CompiledQuery, preparedMarker, type Kysely } from '@elcorp/db';
import { documentedAsDpop, pathOf } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';
import type { JWTVerifyGetKey } from 'jose';
import type { IdentityDB } from '../infrastructure/db/schema.js';

// request.principal is declared once, in @elcorp/auth/fastify, for every service.
export { principalOf, type Principal };

export interface AuthenticationDeps {
  db: Kysely<IdentityDB>;
  keys: JWTVerifyGetKey;
  /** Whether the key ring still publishes a kid (SigningKeys.publishes): a withdrawn key's cached verdicts go. */
  publishes: (kid: string) => boolean;
  replay: ReplayGuard;
  publicBaseUrl: string;
  now: () => Date;
  /** CLIENT_ADDRESS_SECRET: the gateway's proof attestations are believed under it. */
  gatewaySecret: string;
}

/** The URL a client signs in `htu`: the public origin plus the path, never the query. */
export function publicUrlOf(publicBaseUrl: string, request: FastifyRequest): string {
  return publicUrlIn(publicOriginOf(publicBaseUrl), request);
}

/** PUBLIC_BASE_URL without trailing slashes: worked out once, not on every request. */
function publicOriginOf(publicBaseUrl: string): string {
  return publicBaseUrl.replace(/\/+$/, '');
}

function publicUrlIn(origin: string, request: FastifyRequest): string {
  return `${origin}${pathOf(request.url)}`;
}

/** Whether the session of a verified token still lives: not revoked, not expired (by the injected clock). Prepared: every authenticated request runs it. */
const liveSessionSql = `${preparedMarker} SELECT 1 AS live FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3`;

/**
 * The caller behind `Authorization: DPoP <token>` and its proof, before any session check.
 * The token part is the fleet's (@elcorp/auth: scheme, ES256, iss, aud, exp, kid, the
 * verified-token cache); identity adds the proof, checked itself rather than trusting the
 * network, unless the gateway attests (under the shared secret) that it verified this very
 * proof for this token, method and path, replay cache included: then the second ES256 check
 * and Redis round trip would only repeat the gateway's, which ARCHITECTURE.md makes the
 * proof's judge. The token is verified either way (defence in depth).
 */
function verifiedCaller(deps: AuthenticationDeps): (request: FastifyRequest) => Promise<Principal> {
  const tokens = cachedTokenVerifier(deps.keys, { publishes: deps.publishes });
  const origin = publicOriginOf(deps.publicBaseUrl);
  return async (request) => {
    const token = dpopTokenFrom(request.headers.authorization);
    const claims = await tokens.verify(token);
    if (!isAttestedProof(request.headers, deps.gatewaySecret, request.method, pathOf(request.url))) {
      await verifyDpopProof(header(request, 'dpop'), {
        method: request.method,
        url: publicUrlIn(origin, request),
        accessToken: token,
        expectedJkt: claims.cnf.jkt,
        replay: deps.replay,
      });
    }
    return { userId: claims.sub, sessionId: claims.sid, roles: claims.roles, jkt: claims.cnf.jkt };
  };
}

export interface Authenticators {
  /**
   * Verifies `Authorization: DPoP <token>` and its proof, and that the session still lives in
   * identity's sessions table, which knows more than the deny-list (expiry, revocation before
   * Redis heard of it). Failures become problems through the app's mapError (mapAuthError).
   */
  authenticate: (request: FastifyRequest) => Promise<void>;
  /**
   * `authenticate` whose session check is a query that also loads what the route answers with
   * (GET /users/me: one round trip instead of two). `load` must answer `sessionEnded` unless
   * the session lives, exactly as `authenticate` decides it; what it loads is `loadedBy(request)`.
   */
  authenticateLoading: <T>(load: (principal: Principal, now: Date) => Promise<T | typeof sessionEnded>) => (request: FastifyRequest) => Promise<void>;
}

/** The guards of identity's routes, sharing one verified-token cache. */
export function authenticators(deps: AuthenticationDeps): Authenticators {
  const caller = verifiedCaller(deps);
  // Marked, so the OpenAPI document shows every route they guard as needing the dpop scheme.
  const authenticate = documentedAsDpop(async (request: FastifyRequest): Promise<void> => {
    const principal = await caller(request);
    // Compiled once: this runs on every authenticated request.
    const { rows } = await deps.db.executeQuery(CompiledQuery.raw(liveSessionSql, [principal.sessionId, principal.userId, deps.now()]));
    if (rows.length === 0) throw invalidToken('session revoked or expired');
    request.principal = principal;
  });
  const authenticateLoading: Authenticators['authenticateLoading'] = (load) =>
    documentedAsDpop(async (request: FastifyRequest): Promise<void> => {
      const principal = await caller(request);
      const loaded = await load(principal, deps.now());
      if (loaded === sessionEnded) throw invalidToken('session revoked or expired');
      request.principal = principal;
      loadedValues.set(request, loaded);
    });
  return { authenticate, authenticateLoading };
}

export const sessionEnded: unique symbol = Symbol('session revoked or expired');
const loadedValues = new WeakMap<FastifyRequest, unknown>();

/** What `authenticateLoading` loaded for this request; a route without that guard fails loudly. */
export function loadedBy<T>(request: FastifyRequest): T {
  if (!loadedValues.has(request)) throw new Error('loadedBy: the route is not guarded by authenticateLoading');
  return loadedValues.get(request) as T;
}

export function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}
