import { accessTokenAudience, accessTokenIssuer, accessTokenType } from '@elcorp/auth';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Test } from 'tap';

export interface TestCaller {
  userId?: string;
  sessionId?: string;
  roles?: string[];
  jkt?: string;
  /** Seconds from now; negative for an expired token. */
  expiresInSeconds?: number;
}

export interface TestTokenIssuer {
  /** Where a service under test fetches the key set: its JWKS_URL. */
  jwksUrl: string;
  /** An access token as identity signs it (ES256, kid, iss, aud, typ, claims). */
  sign(caller?: TestCaller): Promise<string>;
  /** How many times the key set was fetched. */
  fetches(): number;
  /** The signing key's id, a UUID as identity's are (what identity.signing_key.withdrawn names). */
  kid: string;
}

/**
 * Stands in for identity's token signing where a test needs a service's callers, not
 * identity itself: an ES256 key, its JWKS served on 127.0.0.1 (closed at teardown), and
 * tokens shaped as API.md describes them.
 */
export async function testTokenIssuer(t: Test): Promise<TestTokenIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  let fetches = 0;
  const server = http.createServer((req, res) => {
    fetches += 1;
    res.writeHead(req.url === '/.well-known/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches: () => fetches,
    kid,
    async sign(caller = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ sid: caller.sessionId ?? randomUUID(), roles: caller.roles ?? ['user'], cnf: { jkt: caller.jkt ?? 'test-device-thumbprint' } })
        .setProtectedHeader({ alg: 'ES256', typ: accessTokenType, kid })
        .setIssuer(accessTokenIssuer)
        .setAudience(accessTokenAudience)
        .setSubject(caller.userId ?? randomUUID())
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + (caller.expiresInSeconds ?? 900))
        .sign(privateKey);
    },
  };
}
