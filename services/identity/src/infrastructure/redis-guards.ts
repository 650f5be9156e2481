import type { ReplayGuard } from '@elcorp/auth';
import type { Redis } from 'ioredis';
import type { RevocationList } from '../application/ports.js';

/** Key of a revoked session in the deny-list the gateway reads. */
export const revokedSessionKey = (prefix: string, sessionId: string) => `${prefix}revoked-session:${sessionId}`;

export function redisRevocations(redis: Redis, prefix: string): RevocationList {
  return {
    async revoke(sessionId, ttlSeconds) {
      await redis.set(revokedSessionKey(prefix, sessionId), '1', 'EX', ttlSeconds);
    },
  };
}

/** DPoP jti replay guard: SET NX succeeds only for the first presentation of a (jkt, jti). */
export function redisReplayGuard(redis: Redis, prefix: string, verifier: string): ReplayGuard {
  return async (key, ttlSeconds) => (await redis.set(`${prefix}dpop:${verifier}:${key}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
}
