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
export { accessTokenLifetimeSeconds, redisSessionDenyList, revokedSessionKey, sessionDenySeconds, type SessionDenyList } from './deny-list.js';
export { constantTimeEqual, verifyDpopProof, type DpopCheck, type ReplayGuard, type VerifiedProof } from './dpop.js';
export { attestsUnder, attestVerifiedProof, isAttestedProof, proofAttestationHeader, proofAttestationMaxAgeMs, type AttestedRequest } from './proof-attestation.js';
export { AuthError, invalidProof, invalidToken, type AuthErrorCode } from './errors.js';
export { remoteJwks, type JwksLogger, type RemoteJwks, type RemoteJwksOptions } from './jwks.js';
export { LruCache } from './lru.js';
export { accessTokenHash, jwkThumbprint } from './thumbprint.js';
export { cachedTokenVerifier, type TokenVerifier } from './verified-tokens.js';
export { generateDeviceKey, signDpopProof, type DeviceKey, type ProofRequest } from './dpop-client.js';
