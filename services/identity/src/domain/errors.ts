import type { ContextErrorCode } from '@elcorp/contracts/http';

/**
 * Expected identity failures. The public codes are contracts' closed list (API.md), so a code
 * added there must be raised and mapped here, and none can be invented here; the HTTP layer
 * maps each to a status. Anything else thrown is a bug.
 */
export type IdentityErrorCode =
  | ContextErrorCode<'identity'>
  // Internal: answered as `validation_failed`, one errors[] entry per broken password rule.
  | 'identity.weak_password'
  // Internal: answered as `service_unavailable` (503, Retry-After): the work is refused, not queued.
  | 'identity.busy';

export interface FieldProblem {
  path: string;
  message: string;
}

export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    readonly details: { retryAfterSeconds?: number; errors?: FieldProblem[] } = {},
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}

export const identityErrors = {
  emailTaken: () => new IdentityError('identity.email_taken', 'an account with this email already exists'),
  invalidCredentials: () => new IdentityError('identity.invalid_credentials', 'email or password is wrong'),
  mfaRequired: () => new IdentityError('identity.mfa_required', 'a one-time code is required'),
  invalidOtp: () => new IdentityError('identity.invalid_otp', 'the one-time code is wrong or was already used'),
  accountLocked: (retryAfterSeconds: number) =>
    new IdentityError('identity.account_locked', 'too many failed attempts; try again later', { retryAfterSeconds }),
  /** Same code as a lock (API.md): the account's places are taken by attempts still being checked. */
  attemptsInFlight: (retryAfterSeconds: number) =>
    new IdentityError('identity.account_locked', 'too many attempts on this account are being checked at once; try again in a moment', { retryAfterSeconds }),
  refreshTokenReused: () => new IdentityError('identity.refresh_token_reused', 'the refresh token was already used; the session is revoked'),
  invalidRefreshToken: () => new IdentityError('identity.invalid_refresh_token', 'the refresh token is unknown, expired or revoked'),
  invalidResetToken: () => new IdentityError('identity.invalid_reset_token', 'the reset token is unknown, expired or already used'),
  passwordReused: () =>
    new IdentityError('identity.password_reused', 'choose a password you have not used recently', {
      errors: [{ path: 'body.newPassword', message: 'must differ from your last 5 passwords' }],
    }),
  busy: (retryAfterSeconds: number) =>
    new IdentityError('identity.busy', 'too many requests of this kind are in progress; retry shortly', { retryAfterSeconds }),
  weakPassword: (errors: FieldProblem[]) => new IdentityError('identity.weak_password', 'the password breaks the password rules', { errors }),
  userNotFound: () => new IdentityError('identity.user_not_found', 'no such user'),
  sessionNotFound: () => new IdentityError('identity.session_not_found', 'no such session'),
  forbidden: (message = 'not allowed') => new IdentityError('identity.forbidden', message),
  mfaAlreadyEnabled: () => new IdentityError('identity.mfa_already_enabled', 'TOTP is already on; turn it off with a current code before setting up a new one'),
} as const;
