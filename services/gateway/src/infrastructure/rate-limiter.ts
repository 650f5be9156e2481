import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { WindowDecision } from '../domain/sliding-window.js';

/**
 * Sliding-window log in one sorted set per key, read and written by one script so that
 * concurrent requests on any number of gateway replicas cannot both take the last unit.
 * Time comes from the Redis server (TIME), so replicas with skewed clocks share one window.
 * Refused requests are not logged: hammering does not extend one's own refusal.
 *
 * A Lua function, so the authenticated path's script (admission-check.ts) counts the same way.
 * Returns { allowed (0/1), remaining, ms until the oldest counted request leaves }.
 */
export const slidingWindowLua = `
local function server_now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local function window_hit(key, window, limit, member, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  local allowed = 0
  if count < limit then
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, window)
    count = count + 1
    allowed = 1
  end
  local reset = window
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if oldest[2] then reset = tonumber(oldest[2]) + window - now end
  return { allowed, limit - count, reset }
end
`;

/** KEYS[1] the window's key; ARGV[1] window in ms, ARGV[2] limit, ARGV[3] a unique member. */
export const slidingWindowScript = `${slidingWindowLua}
return window_hit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], server_now_ms())
`;

const scriptSha = createHash('sha1').update(slidingWindowScript).digest('hex');

export interface RateLimiter {
  /** Counts one request against `key` unless `limit` were already counted in the last `windowMs`. */
  hit(key: string, limit: number, windowMs: number): Promise<WindowDecision>;
}

const memberPrefix = randomBytes(9).toString('base64url');
let memberCounter = 0;

/**
 * Unique per counted request: two requests in the same millisecond are two entries. A
 * per-process random prefix and a counter: cheaper per request than fresh random bytes and
 * just as collision-free across replicas.
 */
export function windowMember(): string {
  return `${memberPrefix}${(memberCounter++).toString(36)}`;
}

/** The script's { allowed, remaining, resetMs } as the decision the headers are made of. */
export function decisionOf(reply: [number, number, number], limit: number): WindowDecision {
  const [allowed, remaining, resetMs] = reply;
  return { allowed: allowed === 1, limit, remaining, resetMs };
}

export function redisRateLimiter(redis: Redis): RateLimiter {
  return {
    async hit(key, limit, windowMs) {
      const args = [1, key, windowMs, limit, windowMember()] as const;
      let reply: unknown;
      try {
        reply = await redis.evalsha(scriptSha, ...args);
      } catch (err) {
        // Redis forgets scripts on restart or SCRIPT FLUSH; EVAL loads it again.
        if (!/NOSCRIPT/.test((err as Error).message)) throw err;
        reply = await redis.eval(slidingWindowScript, ...args);
      }
      return decisionOf(reply as [number, number, number], limit);
    },
  };
}
