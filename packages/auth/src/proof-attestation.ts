import { isTimedSignature, publicClientAddressSecrets, signTimed } from '@elcorp/kit';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The gateway's word that it admitted a token request: it verified the DPoP proof (signature,
 * htm, htu, iat, ath against the forwarded token, jkt against the token's cnf, the jti in its
 * replay cache) and found the session not on the deny-list, in the same Redis script, a
 * moment before forwarding. ARCHITECTURE.md makes the proof the gateway's job; identity
 * checks proofs itself as well because it is also reached directly, and every service reads
 * the deny-list again. With this header they need not repeat the gateway's ES256 check and
 * Redis round trip for a request it has just admitted; the token is verified either way.
 *
 * HMAC-SHA256 under the secret the gateway shares with the services (CLIENT_ADDRESS_SECRET),
 * over a purpose label, the second it was made, the method, the path and the exact
 * Authorization and DPoP header values: it cannot be moved to another token, proof, method or
 * path, and it stops working after `proofAttestationMaxAgeMs`. Under a public development
 * secret nothing is attested or believed. Anything that does not verify is ignored, and the
 * service checks for itself as if the header were absent.
 */
export const proofAttestationHeader = 'x-elcorp-dpop-verified';

/** As long as a forwarded client address is believed: a captured header stops working soon after. */
export const proofAttestationMaxAgeMs = 60_000;

export interface AttestedRequest {
  method: string;
  /** The request target without its query, as both sides see it (`pathOf(request.url)`). */
  path: string;
  authorization: string;
  proof: string;
}

const label = 'elcorp-dpop-verified';

const attestedMessage = (request: AttestedRequest) => (atSeconds: number) =>
  `${label}\n${atSeconds}\n${request.method}\n${request.path}\n${request.authorization}\n${request.proof}`;

/** Whether attestations under `secret` mean anything: not under the public development values. */
export function attestsUnder(secret: string): boolean {
  return !publicClientAddressSecrets.has(secret);
}

/** `<unix seconds>.<base64url HMAC>` for the attestation header. */
export function attestVerifiedProof(secret: string, request: AttestedRequest, nowMs = Date.now()): string {
  return signTimed(secret, attestedMessage(request), nowMs);
}

/** Whether `headers` carry a fresh attestation, under `secret`, of this very request's token and proof. */
export function isAttestedProof(headers: IncomingHttpHeaders, secret: string, method: string, path: string, nowMs = Date.now()): boolean {
  const attestation = headers[proofAttestationHeader];
  const { authorization, dpop: proof } = headers;
  if (typeof attestation !== 'string' || typeof authorization !== 'string' || typeof proof !== 'string' || !attestsUnder(secret)) return false;
  return isTimedSignature(attestation, secret, attestedMessage({ method, path, authorization, proof }), proofAttestationMaxAgeMs, nowMs);
}
