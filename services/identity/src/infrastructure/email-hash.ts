import { createHmac } from 'node:crypto';
import { normaliseEmail } from '../domain/email.js';

/**
 * HMAC-SHA-256 of the normalised email under IDENTITY_EMAIL_HASH_KEY, hex. Failure counters
 * and `identity.user.login_failed` name an email by it: an unkeyed hash is reversed by anyone
 * who hashes a list of emails, a keyed one only by who holds the key.
 */
export function emailHasher(keyBase64: string): (email: string) => string {
  const key = Buffer.from(keyBase64, 'base64');
  return (email) => createHmac('sha256', key).update(normaliseEmail(email)).digest('hex');
}
