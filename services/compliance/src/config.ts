import { serviceAuthConfigShape } from '@elcorp/auth/fastify';
import { baseConfigShape, databaseUrl, loadConfig, natsUrl, port, redisUrl } from '@elcorp/kit';
import { z } from 'zod';

/** Every variable the compliance service reads; README.md documents each one. */
export const configShape = {
  ...baseConfigShape,
  PORT: port(8084),
  DATABASE_URL: databaseUrl('elcorp_compliance'),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('compliance'),
  NATS_URL: natsUrl,
  REDIS_URL: redisUrl,
  /** JWKS_URL, JWKS_* timing and REDIS_KEY_PREFIX: how callers' access tokens are verified. */
  ...serviceAuthConfigShape,
};

export type ComplianceConfig = ReturnType<typeof loadComplianceConfig>;

export function loadComplianceConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(configShape, env);
}
