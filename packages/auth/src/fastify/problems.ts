import { AppError } from '@elcorp/kit';
import { AuthError } from '../errors.js';

/**
 * API.md's 401 for a refused credential, with the `WWW-Authenticate: DPoP` challenge naming
 * which check failed. The reason stays in the AuthError (for logs); the caller learns only
 * whether the token or the proof was wrong.
 */
export function authProblem(err: AuthError): AppError {
  const proof = err.code === 'auth.invalid_dpop_proof';
  return new AppError(401, err.code, 'Unauthorized', {
    detail: proof ? 'the DPoP proof is missing or invalid' : 'the access token is missing or invalid',
    headers: { 'www-authenticate': `DPoP error="${proof ? 'invalid_dpop_proof' : 'invalid_token'}", algs="ES256"` },
    cause: err,
  });
}

/** For a service's `mapError`: AuthErrors become their 401 problem, anything else passes. */
export function mapAuthError(err: unknown): unknown {
  return err instanceof AuthError ? authProblem(err) : err;
}

/**
 * Without Redis nobody can tell a revoked session (or a replayed proof): the request is
 * refused with 503, never let through unchecked.
 */
export function credentialsUnavailable(cause: unknown): AppError {
  return new AppError(503, 'service_unavailable', 'Service unavailable', {
    detail: 'credentials cannot be checked right now',
    headers: { 'retry-after': '5' },
    cause,
  });
}
