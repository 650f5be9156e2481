import { baseConfigShape, databaseUrl, loadConfig, natsUrl, port, redisUrl } from '@elcorp/kit';
import { z } from 'zod';

/** Every variable the identity service reads; README.md documents each one. */
export const configShape = {
  ...baseConfigShape,
  PORT: port(8081),
  DATABASE_URL: databaseUrl('elcorp_identity'),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('identity'),
  NATS_URL: natsUrl,
  REDIS_URL: redisUrl,
  ELCORP_BOOTSTRAP_ADMIN_EMAIL: z.email().optional(),
  NOTIFICATIONS_DIR: z.string().min(1).default('.data/mailbox'),
};

export type IdentityConfig = ReturnType<typeof loadIdentityConfig>;

export function loadIdentityConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(configShape, env);
}
