import { accessTokenLifetimeSeconds } from '@elcorp/auth';

/** API.md: a refresh token lives 7 days; a session 30 days whatever the refreshes. */
export const refreshPolicy = {
  refreshTokenSeconds: 7 * 24 * 60 * 60,
  sessionSeconds: 30 * 24 * 60 * 60,
  /** A lost response may be fetched again with the same token and device key for this long. */
  retryWindowSeconds: 10,
  /** The fleet's constant: the session deny-list's lifetime is derived from it (@elcorp/auth). */
  accessTokenSeconds: accessTokenLifetimeSeconds,
} as const;

export interface PresentedRefresh {
  spentAt: Date | null;
  expiresAt: Date;
  sessionRevoked: boolean;
  sessionExpiresAt: Date;
  sameDevice: boolean;
  hasSuccessor: boolean;
}

export type RefreshDecision = 'rotate' | 'retry' | 'reuse' | 'invalid';

/**
 * What to do with a presented refresh token. A spent token is only acceptable again as a
 * retry (same device, within the window, successor still on record); any other reuse means
 * the token leaked, and the whole session is revoked.
 */
export function decideRefresh(token: PresentedRefresh, now: Date): RefreshDecision {
  if (token.sessionRevoked || token.sessionExpiresAt <= now) return 'invalid';
  if (!token.sameDevice) return token.spentAt ? 'reuse' : 'invalid';
  if (token.spentAt === null) return token.expiresAt > now ? 'rotate' : 'invalid';
  const sinceSpentMs = now.getTime() - token.spentAt.getTime();
  return sinceSpentMs <= refreshPolicy.retryWindowSeconds * 1000 && token.hasSuccessor ? 'retry' : 'reuse';
}
