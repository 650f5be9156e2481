import { z } from 'zod';

/** E.164: a plus, a country code and up to 15 digits in all. */
export const phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number such as +264811234567');
export const email = z.email().max(254);
export const fullName = z.string().trim().min(1).max(200);
/** Length rules live in the password policy; this only bounds what reaches it. */
export const password = z.string().min(1).max(4096);
export const deviceName = z.string().trim().min(1).max(100);
export const otp = z.string().regex(/^(\d{6}|[A-Za-z0-9-]{8,20})$/, 'a 6-digit code or a recovery code');

export const userSchema = z.object({
  id: z.uuid(),
  email: z.string().nullable(),
  fullName: z.string().nullable(),
  phone: z.string().nullable(),
  roles: z.array(z.string()),
  status: z.enum(['active', 'locked', 'erased']),
  mfaEnabled: z.boolean(),
  createdAt: z.string(),
  lastLoginAt: z.string().nullable(),
});

export const tokenPairSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('DPoP'),
  expiresIn: z.number(),
  sessionId: z.uuid(),
});
