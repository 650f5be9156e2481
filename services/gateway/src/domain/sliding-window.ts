/**
 * Rate limits count requests in a sliding window (a log of request times per key): at most
 * `limit` requests in any `windowMs`, exactly, which matters for a limit as small as 10
 * login attempts an hour. Memory is one entry per counted request, so at most `limit`
 * entries per key, dropped as they leave the window.
 */
export interface WindowDecision {
  allowed: boolean;
  limit: number;
  /** Requests still allowed in the window after this one. */
  remaining: number;
  /** Until the oldest counted request leaves the window and one unit of quota comes back. */
  resetMs: number;
}

/**
 * The headers of draft-ietf-httpapi-ratelimit-headers (the separate-field form most clients
 * read): `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds), plus
 * `Retry-After` on a refusal, which then equals `RateLimit-Reset`.
 */
export function rateLimitHeaders(decision: WindowDecision): Record<string, string> {
  const resetSeconds = Math.max(1, Math.ceil(decision.resetMs / 1000));
  const headers: Record<string, string> = {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(Math.max(0, decision.remaining)),
    'ratelimit-reset': String(resetSeconds),
  };
  if (!decision.allowed) headers['retry-after'] = String(resetSeconds);
  return headers;
}

/**
 * A request can fall under several limits (address, user, login); the answer shows the one
 * closest to refusing, so a client that paces itself by the headers never meets a 429.
 */
export function tighter(current: WindowDecision | undefined, next: WindowDecision): WindowDecision {
  if (!current) return next;
  if (!next.allowed) return next;
  if (!current.allowed) return current;
  if (next.remaining !== current.remaining) return next.remaining < current.remaining ? next : current;
  return next.resetMs > current.resetMs ? next : current;
}
