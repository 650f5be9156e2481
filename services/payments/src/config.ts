import { serviceAuthConfigShape } from '@elcorp/auth/fastify';
import { baseConfigShape, databaseUrl, loadConfig, natsConfigShape, port, redisUrl } from '@elcorp/kit';
import { z } from 'zod';

/** Every variable the payments service reads; README.md documents each one. */
export const configShape = {
  ...baseConfigShape,
  PORT: port(8082),
  DATABASE_URL: databaseUrl('elcorp_payments'),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('payments'),
  ...natsConfigShape,
  REDIS_URL: redisUrl,
  /** JWKS_URL, JWKS_* timing and REDIS_KEY_PREFIX: how callers' access tokens are verified. */
  ...serviceAuthConfigShape,
  PAYMENTS_APPROVAL_THRESHOLD: z.string().regex(/^\d{1,13}\.\d{2}$/, 'a decimal amount with two digits, e.g. 50000.00').default('50000.00'),
  /** A held transfer nobody approves or rejects is voided after this long. */
  PAYMENTS_APPROVAL_EXPIRY_MINUTES: z.coerce.number().int().min(1).max(30 * 24 * 60).default(24 * 60),
};

export type PaymentsConfig = ReturnType<typeof loadPaymentsConfig>;

export function loadPaymentsConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(configShape, env);
}
