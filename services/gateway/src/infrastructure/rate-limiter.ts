import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { WindowDecision } from '../domain/sliding-window.js';

/**
 * Sliding-window log in one sorted set per key, read and written by one script so that
 * concurrent requests on any number of gateway replicas cannot both take the last unit.
 * Time comes from the Redis server (TIME), so replicas with skewed clocks share one window.
 * Refused requests are not logged: hammering does not extend one's own refusal.
 *
 * KEYS[1] the window's key; ARGV[1] window in ms, ARGV[2] limit, ARGV[3] a unique member.
 * Returns { allowed (0/1), remaining, ms until the oldest counted request leaves }.
 */
export const slidingWindowScript = `
local key = KEYS[1]
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local allowed = 0
if count < limit then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
  count = count + 1
  allowed = 1
end
local reset = window
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
return { allowed, limit - count, reset }
`;

const scriptSha = createHash('sha1').update(slidingWindowScript).digest('hex');

export interface RateLimiter {
  /** Counts one request against `key` unless `limit` were already counted in the last `windowMs`. */
  hit(key: string, limit: number, windowMs: number): Promise<WindowDecision>;
}

const memberPrefix = randomBytes(9).toString('base64url');
let memberCounter = 0;

export function redisRateLimiter(redis: Redis): RateLimiter {
  return {
    async hit(key, limit, windowMs) {
      // Unique per request: two requests in the same millisecond are two entries.
      // Unique per counted request: a per-process random prefix and a counter, cheaper per
      // request than fresh random bytes and just as collision-free across replicas.
      const member = `${memberPrefix}${(memberCounter++).toString(36)}`;
      const args = [1, key, windowMs, limit, member] as const;
      let reply: unknown;
      try {
        reply = await redis.evalsha(scriptSha, ...args);
      } catch (err) {
        // Redis forgets scripts on restart or SCRIPT FLUSH; EVAL loads it again.
        if (!/NOSCRIPT/.test((err as Error).message)) throw err;
        reply = await redis.eval(slidingWindowScript, ...args);
      }
      const [allowed, remaining, resetMs] = reply as [number, number, number];
      return { allowed: allowed === 1, limit, remaining, resetMs };
    },
  };
}
