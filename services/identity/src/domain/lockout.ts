/**
 * API.md: 5 consecutive failures lock for 15 minutes; a success resets the count. Lockout is
 * no weapon: a device that has signed in to the account before keeps a count of its own,
 * which failures elsewhere never touch; every other device shares the email's count.
 */
export const lockoutPolicy = {
  maxFailures: 5,
  lockSeconds: 15 * 60,
  /**
   * An attempt holds its reservation under the limit for as long as its password check runs
   * (well under a second). When nothing touched an email's counter for this long, no attempt
   * can still be running: reservations left by a crashed process are dropped then.
   */
  abandonedAttemptSeconds: 60,
  /**
   * Retry-After of an attempt refused because every place under the limit is taken by checks
   * still running, with nothing locked: those end within a second or so, and then the count
   * either reset (a success) or locked (failures). A client told to wait 15 minutes here, as
   * for a lock, would stay away from an account it may well be able to open at once.
   */
  placesTakenRetrySeconds: 1,
} as const;

/** The count of every device that never signed in to the account (and of unknown emails). */
export const sharedCount = '';
/** The count of reset-token holders probing the password history (no device proof there). */
export const resetCount = 'reset';
/** The count of one device that has signed in to the account: its DPoP key thumbprint. */
export const deviceCountOf = (jkt: string) => `device:${jkt}`;

/** Seconds until a lock ends, or 0 when not locked. */
export function lockedForSeconds(lockedUntil: Date | null, now: Date): number {
  if (!lockedUntil) return 0;
  return Math.max(0, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000));
}
