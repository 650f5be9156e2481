import { z } from 'zod';
import { defineEvent } from '../define.js';
import { id, timestamp } from './common.js';

export const revocationReasons = ['logout', 'user', 'admin', 'password_change', 'refresh_reuse', 'erasure'] as const;

export const identityEvents = [
  defineEvent({
    type: 'identity.user.registered',
    version: 1,
    data: z.strictObject({ userId: id, email: z.email(), fullName: z.string().max(200), phone: z.string().max(20) }),
    pii: ['email', 'fullName', 'phone'],
  }),
  defineEvent({ type: 'identity.user.updated', version: 1, data: z.strictObject({ userId: id, changed: z.array(z.string()).max(20) }) }),
  defineEvent({
    type: 'identity.user.login_succeeded',
    version: 1,
    data: z.strictObject({ userId: id, sessionId: id, deviceJkt: z.string().max(64), ip: z.string().max(64), userAgent: z.string().max(512) }),
    pii: ['ip', 'userAgent'],
  }),
  defineEvent({
    type: 'identity.user.login_failed',
    version: 1,
    data: z.strictObject({ emailHash: z.string().max(128), reason: z.enum(['invalid_credentials', 'invalid_otp', 'locked']), ip: z.string().max(64) }),
    pii: ['ip'],
  }),
  defineEvent({ type: 'identity.user.locked', version: 1, data: z.strictObject({ userId: id, until: timestamp }) }),
  defineEvent({ type: 'identity.user.unlocked', version: 1, data: z.strictObject({ userId: id, by: id.nullable() }) }),
  defineEvent({
    type: 'identity.session.created',
    version: 1,
    data: z.strictObject({ userId: id, sessionId: id, deviceJkt: z.string().max(64), deviceName: z.string().max(100) }),
  }),
  defineEvent({
    type: 'identity.session.revoked',
    version: 1,
    data: z.strictObject({ userId: id, sessionId: id, reason: z.enum(revocationReasons) }),
  }),
  defineEvent({ type: 'identity.password.changed', version: 1, data: z.strictObject({ userId: id }) }),
  defineEvent({ type: 'identity.password.reset_requested', version: 1, data: z.strictObject({ userId: id }) }),
  defineEvent({ type: 'identity.mfa.enabled', version: 1, data: z.strictObject({ userId: id, method: z.enum(['totp', 'sms']) }) }),
  defineEvent({ type: 'identity.mfa.disabled', version: 1, data: z.strictObject({ userId: id, method: z.enum(['totp', 'sms']) }) }),
  defineEvent({ type: 'identity.user.erased', version: 1, data: z.strictObject({ userId: id, by: id }) }),
  // Not in EVENTS.md's catalogue: the operator's `rotate-keys --withdraw-previous` announces the
  // keys it unpublished, so every verifier stops trusting them at once, not at its next JWKS fetch.
  defineEvent({ type: 'identity.signing_key.withdrawn', version: 1, data: z.strictObject({ kids: z.array(id).min(1).max(32), current: id }) }),
] as const;
