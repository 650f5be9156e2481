import { baseConfigShape, loadConfig, natsUrl, port, redisUrl } from '@elcorp/kit';
import { z } from 'zod';

const perMinute = (fallback: number) => z.coerce.number().int().min(1).max(1_000_000).default(fallback);

/** Every variable the gateway reads; README.md documents each one. */
export const configShape = {
  ...baseConfigShape,
  PORT: port(8080),
  NATS_URL: natsUrl,
  REDIS_URL: redisUrl,
  PUBLIC_BASE_URL: z.url().default('http://localhost:8080'),
  TRUST_PROXY: z.string().optional(),
  IDENTITY_URL: z.url().default('http://127.0.0.1:8081'),
  PAYMENTS_URL: z.url().default('http://127.0.0.1:8082'),
  GOVERNANCE_URL: z.url().default('http://127.0.0.1:8083'),
  COMPLIANCE_URL: z.url().default('http://127.0.0.1:8084'),
  RATE_LIMIT_PER_IP_PER_MINUTE: perMinute(100),
  RATE_LIMIT_PER_USER_PER_MINUTE: perMinute(600),
  RATE_LIMIT_LOGIN_PER_HOUR: perMinute(10),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(configShape, env);
}
