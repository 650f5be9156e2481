import { accessTokenAudience, accessTokenIssuer, accessTokenType } from '@elcorp/auth';
import { randomUUID, sign, type KeyObject } from 'node:crypto';
import { refreshPolicy } from '../domain/refresh.js';
import type { AccessTokenRequest, TokenIssuer } from '../application/ports.js';
import type { SigningKey, SigningKeys } from './signing-keys.js';

const base64url = (json: unknown) => Buffer.from(JSON.stringify(json)).toString('base64url');

/** Each signing key's encoded JOSE header, made once per key. */
const prepared = new WeakMap<SigningKey, { key: KeyObject; header: string }>();

function preparedOf(signingKey: SigningKey) {
  let ready = prepared.get(signingKey);
  if (!ready) {
    ready = { key: signingKey.privateKey, header: base64url({ alg: 'ES256', kid: signingKey.kid, typ: accessTokenType }) };
    prepared.set(signingKey, ready);
  }
  return ready;
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
      const { key, header } = preparedOf(await keys.current());
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
        const signature = sign('sha256', Buffer.from(signingInput, 'ascii'), { key, dsaEncoding: 'ieee-p1363' });
        return `${signingInput}.${signature.toString('base64url')}`;
      };
    },
  };
}
