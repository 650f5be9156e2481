import type { Redis } from 'ioredis';

/**
 * The session deny-list: identity writes an entry when a session ends (logout, revocation,
 * refresh reuse, password change, erasure), the gateway and every service read it, so a
 * revoked session's access tokens stop working at once instead of at expiry. One key per
 * session under the fleet's REDIS_KEY_PREFIX; the name and the lifetime live only here.
 */

/** API.md: an access token lives 15 minutes. */
export const accessTokenLifetimeSeconds = 15 * 60;

/**
 * How long an entry is kept: past the lifetime of the last token the session could have
 * been issued, plus a minute for clocks that disagree. After that nothing is left to refuse.
 */
export const sessionDenySeconds = accessTokenLifetimeSeconds + 60;

export const revokedSessionKey = (prefix: string, sessionId: string): string => `${prefix}revoked-session:${sessionId}`;

export interface SessionDenyList {
  deny(sessionId: string): Promise<void>;
  /** Rejects when Redis cannot answer: callers fail closed. */
  isDenied(sessionId: string): Promise<boolean>;
}

export function redisSessionDenyList(redis: Redis, prefix: string): SessionDenyList {
  return {
    async deny(sessionId) {
      await redis.set(revokedSessionKey(prefix, sessionId), '1', 'EX', sessionDenySeconds);
    },
    async isDenied(sessionId) {
      return (await redis.exists(revokedSessionKey(prefix, sessionId))) === 1;
    },
  };
}
