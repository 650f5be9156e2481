import { z } from 'zod';
import { cursorSchema, idSchema, pageLimitSchema, pageSchema, timestampSchema } from './common.js';

// Identity's public requests and responses (API.md, "Identity"). Request bodies are strict:
// unknown fields are a 422. Response schemas are what the routes serialise and the SDK types.

// Fields
/** E.164: a plus, a country code and up to 15 digits in all. */
export const phoneSchema = z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number such as +264811234567');
export const emailSchema = z.email().max(254);
export const fullNameSchema = z.string().trim().min(1).max(200);
/** Length rules live in identity's password policy; this only bounds what reaches it. */
export const passwordSchema = z.string().min(1).max(4096);
export const deviceNameSchema = z.string().trim().min(1).max(100);
/** A TOTP code, or a recovery code in its place. */
export const otpSchema = z.string().regex(/^(\d{6}|[A-Za-z0-9-]{8,20})$/, 'a 6-digit code or a recovery code');
/** Opaque tokens (refresh, password reset): bounded before they are hashed. */
export const opaqueTokenSchema = z.string().min(1).max(200);

// Responses
export const userStatuses = ['active', 'locked', 'erased'] as const;
export const userSchema = z.object({
  id: idSchema,
  /** null once erased, like fullName and phone. */
  email: z.string().nullable(),
  fullName: z.string().nullable(),
  phone: z.string().nullable(),
  roles: z.array(z.string()),
  status: z.enum(userStatuses),
  mfaEnabled: z.boolean(),
  createdAt: timestampSchema,
  lastLoginAt: timestampSchema.nullable(),
});

export const tokenPairSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('DPoP'),
  /** Seconds the access token lives (900). */
  expiresIn: z.number(),
  sessionId: idSchema,
});
export const loginResponseSchema = tokenPairSchema.extend({ user: userSchema });

export const sessionSchema = z.object({
  id: idSchema,
  deviceName: z.string(),
  /** Thumbprint of the session's device key. */
  jkt: z.string(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: timestampSchema,
  lastUsedAt: timestampSchema,
  /** The session of the calling token. */
  current: z.boolean(),
});
export const sessionListSchema = z.object({ items: z.array(sessionSchema) });

export const userLookupSchema = z.object({ id: idSchema, displayName: z.string() });
export const userPageSchema = pageSchema(userSchema);
export const erasureReceiptSchema = z.object({ id: idSchema, status: z.literal('erased') });
export const totpSetupSchema = z.object({ secret: z.string(), otpauthUri: z.string() });
export const recoveryCodesSchema = z.object({ recoveryCodes: z.array(z.string()) });

// Requests
export const registerBody = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  fullName: fullNameSchema,
  phone: phoneSchema,
  agreedTerms: z.literal(true),
});
export const loginBody = z.strictObject({ email: emailSchema, password: passwordSchema, otp: otpSchema.optional(), deviceName: deviceNameSchema.optional() });
export const smsCodeBody = z.strictObject({ email: emailSchema, password: passwordSchema });
export const refreshBody = z.strictObject({ refreshToken: opaqueTokenSchema });
export const forgotPasswordBody = z.strictObject({ email: emailSchema });
export const resetPasswordBody = z.strictObject({ token: opaqueTokenSchema, newPassword: passwordSchema });
export const changePasswordBody = z.strictObject({ currentPassword: passwordSchema, newPassword: passwordSchema });
export const profileUpdateBody = z
  .strictObject({ fullName: fullNameSchema.optional(), phone: phoneSchema.optional() })
  .refine((body) => body.fullName !== undefined || body.phone !== undefined, 'give fullName, phone or both');
export const otpBody = z.strictObject({ otp: otpSchema });
export const eraseOwnAccountBody = z.strictObject({ password: passwordSchema });
export const userLookupQuery = z.strictObject({ email: emailSchema });
/** The cursor's shape only: identity also checks that it decodes to a position. */
export const userListQuery = z.strictObject({ q: z.string().max(200).optional(), limit: pageLimitSchema, cursor: cursorSchema.optional() });

// Types: responses as received, requests as sent (z.input: before defaults and trimming).
export type UserStatus = (typeof userStatuses)[number];
export type User = z.infer<typeof userSchema>;
export type TokenPair = z.infer<typeof tokenPairSchema>;
export type LoginResponse = z.infer<typeof loginResponseSchema>;
export type Session = z.infer<typeof sessionSchema>;
export type SessionList = z.infer<typeof sessionListSchema>;
export type UserLookup = z.infer<typeof userLookupSchema>;
export type ErasureReceipt = z.infer<typeof erasureReceiptSchema>;
export type TotpSetup = z.infer<typeof totpSetupSchema>;
export type RecoveryCodes = z.infer<typeof recoveryCodesSchema>;
export type RegisterBody = z.input<typeof registerBody>;
export type LoginBody = z.input<typeof loginBody>;
export type ProfileUpdateBody = z.input<typeof profileUpdateBody>;
/** Query values as a client passes them; `limit` defaults to 20. */
export type UserListQuery = Partial<z.output<typeof userListQuery>>;
