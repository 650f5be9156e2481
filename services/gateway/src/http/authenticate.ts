import { AuthError, cachedTokenVerifier, dpopTokenFrom, verifyDpopProof, type Principal } from '@elcorp/auth';
import { authProblem, credentialsUnavailable } from '@elcorp/auth/fastify';
import { pathOf, type App } from '@elcorp/kit';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { JWTVerifyGetKey } from 'jose';
import type { GatewayConfig } from '../config.js';
import { credentialFor, upstreamFor, type Credential } from '../domain/routes.js';
import { tokenAdmissionCheck, type LimitHit, type TokenAdmission } from '../infrastructure/admission-check.js';
import { gatewayReplayGuard } from '../infrastructure/revocations.js';
import { addressLimitOf, applyDecision, countAddress, userLimitOf, type RateLimitDeps } from './rate-limit.js';

export interface AuthenticationDeps {
  /** Identity's verification keys: `remoteJwks(...).getKey` in production. */
  keys: JWTVerifyGetKey;
  /** Whether identity still publishes a kid (`remoteJwks(...).publishes`): a withdrawn key's cached verdicts go. */
  publishes?: (kid: string) => boolean;
  redis: Redis;
  config: Pick<GatewayConfig, 'PUBLIC_BASE_URL' | 'REDIS_KEY_PREFIX'>;
  /**
   * The address and user limits of token-protected requests, counted in the same Redis round
   * trip as the proof and the deny-list (registerAdmission wires it). Absent: not limited here.
   */
  limits?: RateLimitDeps;
}

const credentialKey = Symbol('gateway.credential');
type WithCredential = FastifyRequest & { [credentialKey]?: Credential | null };

/**
 * What the route of a request requires, or undefined for the gateway's own pages (docs,
 * health). Worked out once per request: the address limit and authentication both ask.
 */
export function credentialOf(request: FastifyRequest): Credential | undefined {
  const known = (request as WithCredential)[credentialKey];
  if (known !== undefined) return known ?? undefined;
  const policyPath = policyPathOf(request.url);
  const credential = upstreamFor(policyPath) === undefined ? undefined : credentialFor(request.method, policyPath);
  (request as WithCredential)[credentialKey] = credential ?? null;
  return credential;
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
 * With `limits`, a token-protected request is also counted against its address and its
 * user in the same Redis round trip (infrastructure/admission-check.ts): one per request.
 */
export function registerAuthentication(app: App, deps: AuthenticationDeps): void {
  const { PUBLIC_BASE_URL, REDIS_KEY_PREFIX } = deps.config;
  const baseUrl = PUBLIC_BASE_URL.replace(/\/+$/, '');
  const replay = storeUnavailableAs503(gatewayReplayGuard(deps.redis, REDIS_KEY_PREFIX));
  const admit = tokenAdmissionCheck(deps.redis, REDIS_KEY_PREFIX);
  const { limits } = deps;

  const verifiedTokens = cachedTokenVerifier(deps.keys, { publishes: deps.publishes });
  app.addHook('onRequest', async (request, reply) => {
    const credential = credentialOf(request);
    if (credential === undefined || credential === 'none') return;
    // The client signs the URL it sends; the query is not part of htu.
    const url = baseUrl + pathOf(request.url);
    if (credential === 'proof') {
      try {
        await verifyDpopProof(headerOf(request, 'dpop'), { method: request.method, url, replay });
        return;
      } catch (err) {
        throw refusal(request, err);
      }
    }
    const address = limits ? addressLimitOf(request, limits.config) : undefined;
    let asked = false;
    let admission: TokenAdmission | undefined;
    try {
      const token = dpopTokenFrom(request.headers.authorization);
      // A token seen before answers at once: no promise for a verdict already known.
      const claims = verifiedTokens.known?.(token) ?? (await verifiedTokens.verify(token));
      const user: LimitHit | undefined = limits ? userLimitOf(claims.sub, limits.config) : undefined;
      // verifyDpopProof calls this last, once every check that needs no Redis has passed.
      const guard = async (proofKey: string, replayTtlSeconds: number) => {
        asked = true;
        try {
          admission = await admit({ proofKey, replayTtlSeconds, sessionId: claims.sid, ...(address ? { address } : {}), ...(user ? { user } : {}) });
        } catch (err) {
          throw credentialsUnavailable(err);
        }
        // Over its address limit: 429, and the proof was left unrecorded, as when this
        // limit was a check of its own before authentication.
        if (admission.address) applyDecision(request, reply, admission.address, address!.windowMs);
        return admission.fresh;
      };
      await verifyDpopProof(headerOf(request, 'dpop'), { method: request.method, url, accessToken: token, expectedJkt: claims.cnf.jkt, replay: guard });
      if (admission!.revoked) throw new AuthError('auth.invalid_token', 'session revoked');
      if (admission!.user) applyDecision(request, reply, admission!.user, user!.windowMs);
      const principal: Principal = { userId: claims.sub, sessionId: claims.sid, roles: claims.roles, jkt: claims.cnf.jkt };
      request.principal = principal;
    } catch (err) {
      // Refused before Redis was asked: the attempt still counts against its address (and a
      // client over its limit learns that first, as it did when the address was counted ahead).
      if (limits && !asked) await countAddress(request, reply, limits);
      throw refusal(request, err);
    }
  });
}

/** An AuthError as the 401 it is; anything else (429, 503) as it is. */
function refusal(request: FastifyRequest, err: unknown): unknown {
  if (!(err instanceof AuthError)) return err;
  // The reason stays in the log; the caller learns only which of the two checks failed.
  request.log.info({ code: err.code, reason: err.reason }, 'credentials refused');
  return authProblem(err);
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
