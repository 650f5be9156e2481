import { serviceAuthConfigShape } from '@elcorp/auth/fastify';
import { baseConfigShape, databaseUrl, loadConfig, natsConfigShape, port, redisUrl } from '@elcorp/kit';
import { z } from 'zod';

/** Every variable the governance service reads; README.md documents each one. */
export const configShape = {
  ...baseConfigShape,
  PORT: port(8083),
  DATABASE_URL: databaseUrl('elcorp_governance'),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('governance'),
  ...natsConfigShape,
  REDIS_URL: redisUrl,
  /** The account with this email gets `admin` when it registers, while no admin has ever existed. */
  ELCORP_BOOTSTRAP_ADMIN_EMAIL: z.email().optional(),
  /** How often each replica tries the SLA sweep (one replica at a time runs it). */
  GOVERNANCE_SLA_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** JWKS_URL, JWKS_* timing and REDIS_KEY_PREFIX: how callers' access tokens are verified. */
  ...serviceAuthConfigShape,
};

export type GovernanceConfig = ReturnType<typeof loadGovernanceConfig>;

export function loadGovernanceConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(configShape, env);
}
