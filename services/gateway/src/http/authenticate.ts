import { AuthError, cachedTokenVerifier, dpopTokenFrom, verifyDpopProof, type Principal } from '@elcorp/auth';
import { authProblem, credentialsUnavailable } from '@elcorp/auth/fastify';
import type { App } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { JWTVerifyGetKey } from 'jose';
import type { GatewayConfig } from '../config.js';
import { credentialFor, upstreamFor } from '../domain/routes.js';
import { gatewayReplayGuard, proofAndSessionCheck } from '../infrastructure/revocations.js';

export interface AuthenticationDeps {
  /** Identity's verification keys: `remoteJwks(...).getKey` in production. */
  keys: JWTVerifyGetKey;
  redis: Redis;
  config: Pick<GatewayConfig, 'PUBLIC_BASE_URL' | 'REDIS_KEY_PREFIX'>;
}

/**
 * The path a route decision is made on. Upstream routers match percent-decoded paths
 * (`/api/v1/auth/logi%6E` is the login route to them), so policies must see the same.
 * `decodeURI` keeps reserved escapes such as %2F, as the routers do.
 */
export function policyPathOf(url: string): string {
  const path = url.split('?')[0] ?? '';
  try {
    return decodeURI(path);
  } catch {
    return path;
  }
}

/**
 * Admits a routed request by what its route requires (domain/routes.ts): nothing; a DPoP
 * proof alone (login, MFA, refresh: no token exists yet); or `Authorization: DPoP <token>`
 * with a proof bound to the token's key, from a session that is not revoked. Sets
 * request.principal on success. Runs in onRequest: nothing is read or forwarded first.
 */
export function registerAuthentication(app: App, deps: AuthenticationDeps): void {
  const { PUBLIC_BASE_URL, REDIS_KEY_PREFIX } = deps.config;
  const baseUrl = PUBLIC_BASE_URL.replace(/\/+$/, '');
  const replay = storeUnavailableAs503(gatewayReplayGuard(deps.redis, REDIS_KEY_PREFIX));

  const verifiedTokens = cachedTokenVerifier(deps.keys);
  app.addHook('onRequest', async (request) => {
    const policyPath = policyPathOf(request.url);
    if (upstreamFor(policyPath) === undefined) return; // the gateway's own pages: docs, health
    const credential = credentialFor(request.method, policyPath);
    if (credential === 'none') return;
    // The client signs the URL it sends; the query is not part of htu.
    const url = `${baseUrl}${request.url.split('?')[0]}`;
    try {
      if (credential === 'proof') {
        await verifyDpopProof(headerOf(request, 'dpop'), { method: request.method, url, replay });
        return;
      }
      const token = dpopTokenFrom(request.headers.authorization);
      const claims = await verifiedTokens.verify(token);
      const check = proofAndSessionCheck(deps.redis, REDIS_KEY_PREFIX, claims.sid);
      await verifyDpopProof(headerOf(request, 'dpop'), { method: request.method, url, accessToken: token, expectedJkt: claims.cnf.jkt, replay: storeUnavailableAs503(check.guard) });
      if (check.revoked()) throw new AuthError('auth.invalid_token', 'session revoked');
      const principal: Principal = { userId: claims.sub, sessionId: claims.sid, roles: claims.roles, jkt: claims.cnf.jkt };
      request.principal = principal;
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      // The reason stays in the log; the caller learns only which of the two checks failed.
      request.log.info({ code: err.code, reason: err.reason }, 'credentials refused');
      throw authProblem(err);
    }
  });
}

/**
 * Without Redis the gateway cannot tell a replayed proof or a revoked session: it refuses
 * (503), it never lets the request through unchecked.
 */
function storeUnavailableAs503<A extends unknown[], R>(check: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await check(...args);
    } catch (err) {
      throw credentialsUnavailable(err);
    }
  };
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}
