import { accessTokenAudience, accessTokenIssuer, accessTokenType } from '@elcorp/auth';
import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { refreshPolicy } from '../domain/refresh.js';
import type { AccessTokenRequest, TokenIssuer } from '../application/ports.js';
import type { SigningKeys } from './signing-keys.js';

/** ES256 access tokens (API.md): kid in the header, cnf.jkt binding the device key. */
export function tokenIssuer(keys: SigningKeys, now: () => Date): TokenIssuer {
  return {
    async signer() {
      const key = await keys.current();
      return ({ userId, sessionId, roles, jkt }: AccessTokenRequest) => {
        const iat = Math.floor(now().getTime() / 1000);
        return new SignJWT({ sid: sessionId, roles, cnf: { jkt } })
          .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: accessTokenType })
          .setIssuer(accessTokenIssuer)
          .setAudience(accessTokenAudience)
          .setSubject(userId)
          .setJti(randomUUID())
          .setIssuedAt(iat)
          .setExpirationTime(iat + refreshPolicy.accessTokenSeconds)
          .sign(key.privateKey);
      };
    },
  };
}
