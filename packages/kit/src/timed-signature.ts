import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What the gateway vouches for to the services behind it, signed: `<unix seconds>.<base64url
 * HMAC-SHA256>` of the message made for that second, under the secret they share. Used for the
 * forwarded client address and for the gateway's word that it verified a DPoP proof; each
 * names its own message, so one cannot pass for the other.
 */
export type SignedMessage = (atSeconds: number) => string;

const mac = (secret: string, message: string) => createHmac('sha256', secret).update(message).digest('base64url');

export function signTimed(secret: string, message: SignedMessage, nowMs = Date.now()): string {
  const atSeconds = Math.floor(nowMs / 1000);
  return `${atSeconds}.${mac(secret, message(atSeconds))}`;
}

const signaturePattern = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** Whether `signature` is `secret`'s over the message of its second, made at most `maxAgeMs` from now. Constant-time. */
export function isTimedSignature(signature: string, secret: string, message: SignedMessage, maxAgeMs: number, nowMs = Date.now()): boolean {
  const match = signaturePattern.exec(signature);
  if (!match) return false;
  const atSeconds = Number(match[1]);
  if (Math.abs(nowMs - atSeconds * 1000) > maxAgeMs) return false;
  const expected = Buffer.from(mac(secret, message(atSeconds)));
  const given = Buffer.from(match[2]!);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
