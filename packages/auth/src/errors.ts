/** The two ways a caller's proof of identity fails (API.md); `reason` is for logs only. */
export type AuthErrorCode = 'auth.invalid_token' | 'auth.invalid_dpop_proof';

export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
    this.name = 'AuthError';
  }
}

export const invalidToken = (reason: string) => new AuthError('auth.invalid_token', reason);
export const invalidProof = (reason: string) => new AuthError('auth.invalid_dpop_proof', reason);
