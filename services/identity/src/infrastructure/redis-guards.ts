import { redisSessionDenyList, type ReplayGuard } from '@elcorp/auth';
import type { Redis } from 'ioredis';
import type { RevocationList } from '../application/ports.js';

/** The fleet's session deny-list (key, lifetime: @elcorp/auth), which the gateway and services read. */
export function redisRevocations(redis: Redis, prefix: string): RevocationList {
  const denyList = redisSessionDenyList(redis, prefix);
  return { revoke: (sessionId) => denyList.deny(sessionId) };
}

/** DPoP jti replay guard: SET NX succeeds only for the first presentation of a (jkt, jti). */
export function redisReplayGuard(redis: Redis, prefix: string, verifier: string): ReplayGuard {
  return async (key, ttlSeconds) => (await redis.set(`${prefix}dpop:${verifier}:${key}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
}
