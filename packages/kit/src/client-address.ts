import type { IncomingHttpHeaders } from 'node:http';
import { isTimedSignature, signTimed } from './timed-signature.js';

/**
 * The client's address as the gateway saw it, forwarded to the services behind it. The
 * header alone would let anyone who reaches a service directly claim any address, so the
 * gateway signs it: HMAC-SHA256 under CLIENT_ADDRESS_SECRET (shared by the gateway and the
 * services) over the time and the address. A service believes it only when the signature
 * verifies and is fresh; otherwise the socket peer is the client.
 */
export const clientAddressHeader = 'x-elcorp-client-address';
export const clientAddressSignatureHeader = 'x-elcorp-client-address-signature';

/** The development value; every deployment sets its own (`openssl rand -base64 32`). */
export const developmentClientAddressSecret = 'elcorp-development-client-address-secret-0001';

/** The default above and the one docker-compose.yml ships: public, so they vouch for nothing. */
export const publicClientAddressSecrets: ReadonlySet<string> = new Set([developmentClientAddressSecret, 'elcorp-compose-development-client-address-secret']);

/** How old a signature may be: a captured header stops working soon after. */
export const clientAddressSignatureMaxAgeMs = 60_000;

const addressMessage = (address: string) => (atSeconds: number) => `${atSeconds}\n${address}`;

/** `<unix seconds>.<base64url HMAC>` for the signature header. */
export function signClientAddress(secret: string, address: string, nowMs = Date.now()): string {
  return signTimed(secret, addressMessage(address), nowMs);
}

/** The forwarded address when its signature verifies and is fresh; undefined otherwise. */
export function verifiedClientAddress(headers: IncomingHttpHeaders, secret: string, nowMs = Date.now()): string | undefined {
  const address = headers[clientAddressHeader];
  const signature = headers[clientAddressSignatureHeader];
  if (typeof address !== 'string' || typeof signature !== 'string' || address.length > 64) return undefined;
  return isTimedSignature(signature, secret, addressMessage(address), clientAddressSignatureMaxAgeMs, nowMs) ? address : undefined;
}
