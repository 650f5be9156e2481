import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { accessTokenHash, jwkThumbprint } from './thumbprint.js';

/** A client's device key: the private half never leaves the device. */
export interface DeviceKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  jkt: string;
}

export async function generateDeviceKey(): Promise<DeviceKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const full = await exportJWK(publicKey);
  const publicJwk: JWK = { kty: full.kty!, crv: full.crv!, x: full.x!, y: full.y! };
  return { privateKey, publicJwk, jkt: await jwkThumbprint(publicJwk) };
}

export interface ProofRequest {
  method: string;
  /** PUBLIC_BASE_URL + path; any query is stripped. */
  url: string;
  accessToken?: string;
  /** For tests of stale proofs; defaults to now. */
  iatSeconds?: number;
  jti?: string;
}

/** Signs a fresh DPoP proof for one request (RFC 9449 §4.2). */
export async function signDpopProof(device: DeviceKey, request: ProofRequest): Promise<string> {
  const url = new URL(request.url);
  const claims: Record<string, unknown> = {
    jti: request.jti ?? randomUUID(),
    htm: request.method.toUpperCase(),
    htu: `${url.protocol}//${url.host}${url.pathname}`,
    iat: request.iatSeconds ?? Math.floor(Date.now() / 1000),
  };
  if (request.accessToken !== undefined) claims['ath'] = accessTokenHash(request.accessToken);
  return new SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: device.publicJwk }).sign(device.privateKey);
}
