/** API.md: 5 consecutive failures lock for 15 minutes; a success resets the count. */
export const lockoutPolicy = {
  maxFailures: 5,
  lockSeconds: 15 * 60,
} as const;

/** Seconds until a lock ends, or 0 when not locked. */
export function lockedForSeconds(lockedUntil: Date | null, now: Date): number {
  if (!lockedUntil) return 0;
  return Math.max(0, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000));
}
