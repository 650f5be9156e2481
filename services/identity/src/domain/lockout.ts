/** API.md: 5 consecutive failures lock for 15 minutes; a success resets the count. */
export const lockoutPolicy = {
  maxFailures: 5,
  lockSeconds: 15 * 60,
  /**
   * An attempt holds its reservation under the limit for as long as its password check runs
   * (well under a second). When nothing touched an email's counter for this long, no attempt
   * can still be running: reservations left by a crashed process are dropped then.
   */
  abandonedAttemptSeconds: 60,
} as const;

/** Seconds until a lock ends, or 0 when not locked. */
export function lockedForSeconds(lockedUntil: Date | null, now: Date): number {
  if (!lockedUntil) return 0;
  return Math.max(0, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000));
}
