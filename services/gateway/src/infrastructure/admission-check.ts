import { revokedSessionKey } from '@elcorp/auth';
import type { Redis } from 'ioredis';
import type { WindowDecision } from '../domain/sliding-window.js';
import { decisionOf, slidingWindowLua, windowMember } from './rate-limiter.js';

/** A sliding-window limit to count a request against. */
export interface LimitHit {
  key: string;
  limit: number;
  windowMs: number;
}

/** What Redis answered for one token-protected request. */
export interface TokenAdmission {
  /** The address limit's decision; absent when none was asked for. */
  address?: WindowDecision;
  /** The proof's (jkt, jti) was not seen before and is now recorded. False when the address was refused (nothing recorded). */
  fresh: boolean;
  revoked: boolean;
  /** The user limit's decision; absent when none was asked for or the request was refused before it counted. */
  user?: WindowDecision;
}

/**
 * Everything the gateway asks Redis about one token-protected request, in one round trip
 * (one script: one write on the socket, one answer), in the order the separate checks had:
 * the address is counted first and, when refused, nothing else happens (the proof's jti is
 * not burnt); then the proof's (jkt, jti) is recorded if new and the session's deny-list
 * entry read; only a fresh proof of a live session counts against its user.
 *
 * KEYS: replay, deny-list, address window, user window (the last two an unused key under the
 * rate limits' prefix when not limited: Redis's ACL checks every declared key, even one the
 * script never touches, and the gateway's Redis user reaches only its own prefixes).
 * ARGV: replay TTL s, window member, address limit, address window ms, user limit, user
 * window ms (a limit of 0: not limited).
 * Returns { address allowed (-1: not limited), remaining, reset, fresh (-1: not checked),
 * revoked, user allowed (-1: not counted), remaining, reset }.
 */
const tokenAdmissionScript = `${slidingWindowLua}
local member = ARGV[2]
local address_limit = tonumber(ARGV[3])
local user_limit = tonumber(ARGV[5])
local now = 0
if address_limit > 0 or user_limit > 0 then now = server_now_ms() end
local address = { -1, 0, 0 }
if address_limit > 0 then
  address = window_hit(KEYS[3], tonumber(ARGV[4]), address_limit, member, now)
  if address[1] == 0 then return { address[1], address[2], address[3], -1, 0, -1, 0, 0 } end
end
local fresh = 0
if redis.call('SET', KEYS[1], '1', 'EX', ARGV[1], 'NX') then fresh = 1 end
local revoked = redis.call('EXISTS', KEYS[2])
local user = { -1, 0, 0 }
if fresh == 1 and revoked == 0 and user_limit > 0 then
  user = window_hit(KEYS[4], tonumber(ARGV[6]), user_limit, member, now)
end
return { address[1], address[2], address[3], fresh, revoked, user[1], user[2], user[3] }
`;

type AdmissionRedis = Redis & { gatewayTokenAdmission(...args: Array<string | number>): Promise<number[]> };

export interface TokenAdmissionRequest {
  /** The proof's `${jkt}:${jti}`, as verifyDpopProof hands it to its replay guard. */
  proofKey: string;
  replayTtlSeconds: number;
  sessionId: string;
  address?: LimitHit;
  user?: LimitHit;
}

/** The one-round-trip check of token-protected requests; `prefix` is REDIS_KEY_PREFIX. */
export function tokenAdmissionCheck(redis: Redis, prefix: string): (request: TokenAdmissionRequest) => Promise<TokenAdmission> {
  const client = redis as AdmissionRedis;
  // ioredis sends EVALSHA and falls back to EVAL when Redis forgot the script (restart, FLUSH).
  if (typeof client.gatewayTokenAdmission !== 'function') redis.defineCommand('gatewayTokenAdmission', { numberOfKeys: 4, lua: tokenAdmissionScript });
  const notLimited = `${prefix}ratelimit:none`;
  return async ({ proofKey, replayTtlSeconds, sessionId, address, user }) => {
    const reply = await client.gatewayTokenAdmission(
      `${prefix}dpop:gateway:${proofKey}`,
      revokedSessionKey(prefix, sessionId),
      address?.key ?? notLimited,
      user?.key ?? notLimited,
      replayTtlSeconds,
      windowMember(),
      address?.limit ?? 0,
      address?.windowMs ?? 0,
      user?.limit ?? 0,
      user?.windowMs ?? 0,
    );
    const [addressAllowed, addressRemaining, addressReset, fresh, revoked, userAllowed, userRemaining, userReset] = reply as [number, number, number, number, number, number, number, number];
    return {
      ...(address && addressAllowed !== -1 ? { address: decisionOf([addressAllowed, addressRemaining, addressReset], address.limit) } : {}),
      fresh: fresh === 1,
      revoked: revoked === 1,
      ...(user && userAllowed !== -1 ? { user: decisionOf([userAllowed, userRemaining, userReset], user.limit) } : {}),
    };
  };
}
