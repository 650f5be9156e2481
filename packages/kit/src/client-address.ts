import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

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

const mac = (secret: string, atSeconds: number, address: string) =>
  createHmac('sha256', secret).update(`${atSeconds}\n${address}`).digest('base64url');

/** `<unix seconds>.<base64url HMAC>` for the signature header. */
export function signClientAddress(secret: string, address: string, nowMs = Date.now()): string {
  const atSeconds = Math.floor(nowMs / 1000);
  return `${atSeconds}.${mac(secret, atSeconds, address)}`;
}

/** The forwarded address when its signature verifies and is fresh; undefined otherwise. */
export function verifiedClientAddress(headers: IncomingHttpHeaders, secret: string, nowMs = Date.now()): string | undefined {
  const address = headers[clientAddressHeader];
  const signature = headers[clientAddressSignatureHeader];
  if (typeof address !== 'string' || typeof signature !== 'string' || address.length > 64) return undefined;
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(signature);
  if (!match) return undefined;
  const atSeconds = Number(match[1]);
  if (Math.abs(nowMs - atSeconds * 1000) > clientAddressSignatureMaxAgeMs) return undefined;
  const expected = Buffer.from(mac(secret, atSeconds, address));
  const given = Buffer.from(match[2]!);
  return expected.length === given.length && timingSafeEqual(expected, given) ? address : undefined;
}
