import { accessTokenAudience, accessTokenIssuer, accessTokenType } from '@elcorp/auth';
import { randomUUID, sign } from 'node:crypto';
import { refreshPolicy } from '../domain/refresh.js';
import type { AccessTokenRequest, TokenIssuer } from '../application/ports.js';
import type { SigningKey, SigningKeys } from './signing-keys.js';

const base64url = (json: unknown) => Buffer.from(JSON.stringify(json)).toString('base64url');

/** Each signing key's encoded JOSE header, made once per key. */
const headers = new WeakMap<SigningKey, string>();

function headerOf(signingKey: SigningKey): string {
  let header = headers.get(signingKey);
  if (header === undefined) {
    header = base64url({ alg: 'ES256', kid: signingKey.kid, typ: accessTokenType });
    headers.set(signingKey, header);
  }
  return header;
}

/**
 * ES256 access tokens (API.md): kid in the header, cnf.jkt binding the device key. Signed with
 * node:crypto's one-shot sign, on the event loop (tens of µs): WebCrypto's runs as a job in
 * libuv's thread pool, where under load it queued behind the argon2 verifications while the
 * login's transaction (holding its user's rows) stayed open waiting for it.
 */
export function tokenIssuer(keys: SigningKeys, now: () => Date): TokenIssuer {
  return {
    async signer() {
      const signingKey = await keys.current();
      const header = headerOf(signingKey);
      return async ({ userId, sessionId, roles, jkt }: AccessTokenRequest) => {
        const iat = Math.floor(now().getTime() / 1000);
        const payload = base64url({
          sid: sessionId,
          roles,
          cnf: { jkt },
          iss: accessTokenIssuer,
          aud: accessTokenAudience,
          sub: userId,
          jti: randomUUID(),
          iat,
          exp: iat + refreshPolicy.accessTokenSeconds,
        });
        const signingInput = `${header}.${payload}`;
        // JWS ES256 signatures are r || s (IEEE P1363), not DER.
        const signature = sign('sha256', Buffer.from(signingInput, 'ascii'), { key: signingKey.privateKey, dsaEncoding: 'ieee-p1363' });
        return `${signingInput}.${signature.toString('base64url')}`;
      };
    },
  };
}
