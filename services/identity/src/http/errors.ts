import { mapAuthError } from '@elcorp/auth/fastify';
import { AppError } from '@elcorp/kit';
import type { PublicErrorCode, PublicErrorStatus } from '@elcorp/contracts/http';
import { IdentityError, type IdentityErrorCode } from '../domain/errors.js';

/** Internal codes and the public code each answers as. */
const publicCodeOf = { 'identity.weak_password': 'validation_failed', 'identity.busy': 'service_unavailable' } as const;
type InternalCode = keyof typeof publicCodeOf;

/** A code's status must be one contracts lists for it (for an internal code: its public code's). */
type StatusOf<C extends IdentityErrorCode> = C extends PublicErrorCode ? PublicErrorStatus<C> : C extends InternalCode ? PublicErrorStatus<(typeof publicCodeOf)[C]> : never;

const statusOf: { [C in IdentityErrorCode]: { status: StatusOf<C>; title: string } } = {
  'identity.email_taken': { status: 409, title: 'Email already registered' },
  'identity.invalid_credentials': { status: 401, title: 'Invalid credentials' },
  'identity.mfa_required': { status: 401, title: 'Second factor required' },
  'identity.invalid_otp': { status: 401, title: 'Invalid one-time code' },
  'identity.account_locked': { status: 423, title: 'Account locked' },
  'identity.refresh_token_reused': { status: 401, title: 'Refresh token reused' },
  'identity.invalid_refresh_token': { status: 401, title: 'Invalid refresh token' },
  'identity.invalid_reset_token': { status: 400, title: 'Invalid reset token' },
  'identity.password_reused': { status: 422, title: 'Password used recently' },
  'identity.weak_password': { status: 422, title: 'Validation failed' },
  'identity.busy': { status: 503, title: 'Service unavailable' },
  'identity.user_not_found': { status: 404, title: 'User not found' },
  'identity.session_not_found': { status: 404, title: 'Session not found' },
  'identity.forbidden': { status: 403, title: 'Forbidden' },
  'identity.mfa_already_enabled': { status: 409, title: 'MFA already enabled' },
};

/** Domain and auth failures as problem details; the kit's handler renders them. */
export function toAppError(err: unknown): unknown {
  if (err instanceof IdentityError) {
    const { status, title } = statusOf[err.code];
    const headers: Record<string, string> = {};
    if (err.details.retryAfterSeconds !== undefined) headers['retry-after'] = String(err.details.retryAfterSeconds);
    if (status === 401) headers['www-authenticate'] = `DPoP error="invalid_token", algs="ES256"`;
    // Weak passwords answer like any validation failure (one errors[] entry per broken rule),
    // saturation like any other unavailability.
    const code = err.code in publicCodeOf ? publicCodeOf[err.code as InternalCode] : err.code;
    return new AppError(status, code, title, { detail: err.message, headers, ...(err.details.errors ? { errors: err.details.errors } : {}), cause: err });
  }
  return mapAuthError(err);
}
