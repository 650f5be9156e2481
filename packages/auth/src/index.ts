export {
  accessTokenAudience,
  accessTokenIssuer,
  accessTokenType,
  dpopTokenFrom,
  verifyAccessToken,
  type AccessTokenCheck,
  type AccessTokenClaims,
  type Principal,
} from './access-token.js';
export { constantTimeEqual, verifyDpopProof, type DpopCheck, type ReplayGuard, type VerifiedProof } from './dpop.js';
export { AuthError, invalidProof, invalidToken, type AuthErrorCode } from './errors.js';
export { accessTokenHash, jwkThumbprint } from './thumbprint.js';
export { generateDeviceKey, signDpopProof, type DeviceKey, type ProofRequest } from './dpop-client.js';
