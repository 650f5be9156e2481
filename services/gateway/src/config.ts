import { jwksTimingShape } from '@elcorp/auth/fastify';
import { baseConfigShape, loadConfig, natsConfigShape, port, redisUrl, developmentClientAddressSecret } from '@elcorp/kit';
import { z } from 'zod';
import { parseTrustedProxies } from './domain/client-address.js';

/** `https://app.example.na`: scheme, host and port only, exactly as a browser sends `Origin`. */
const isOrigin = (value: string) => URL.canParse(value) && new URL(value).origin === value;

const perMinute = (fallback: number) => z.coerce.number().int().min(1).max(1_000_000).default(fallback);

/** Every variable the gateway reads; README.md documents each one. */
export const configShape = {
  ...baseConfigShape,
  PORT: port(8080),
  /** The operators' listener: /metrics and /health/upstreams, never on the public port. */
  INTERNAL_HOST: z.string().min(1).default('127.0.0.1'),
  INTERNAL_PORT: port(9080),
  ...natsConfigShape,
  REDIS_URL: redisUrl,
  PUBLIC_BASE_URL: z.url().default('http://localhost:8080'),
  /** Proxies whose X-Forwarded-For is believed: comma-separated IPs and CIDRs, IPv4 or IPv6. */
  TRUST_PROXY: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      try {
        parseTrustedProxies(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
  IDENTITY_URL: z.url().default('http://127.0.0.1:8081'),
  PAYMENTS_URL: z.url().default('http://127.0.0.1:8082'),
  GOVERNANCE_URL: z.url().default('http://127.0.0.1:8083'),
  COMPLIANCE_URL: z.url().default('http://127.0.0.1:8084'),
  RATE_LIMIT_PER_IP_PER_MINUTE: perMinute(100),
  RATE_LIMIT_PER_USER_PER_MINUTE: perMinute(600),
  RATE_LIMIT_LOGIN_PER_HOUR: perMinute(10),
  /** Deadline for an upstream's response headers, and for each pause in its body. */
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  /**
   * Open client connections at most, together; new ones beyond are closed on arrival. Lowered
   * at start-up to what the open-files limit leaves after the upstream pools and the gateway's
   * own descriptors, so clients can never use up the descriptors it needs for its upstreams.
   */
  CLIENT_CONNECTIONS_MAX: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** Open connections at most from one client address (not a TRUST_PROXY proxy); beyond: 429 and closed. */
  CLIENT_CONNECTIONS_PER_ADDRESS_MAX: z.coerce.number().int().min(1).max(1_000_000).default(128),
  /** Kept-alive connections per upstream; requests beyond them queue within the deadline. */
  UPSTREAM_CONNECTIONS_MAX: z.coerce.number().int().min(1).max(1024).default(64),
  /**
   * An upstream's circuit opens when at least this share of its requests in the window failed
   * by its own fault (no connection, no answer in time, its own 502/503/504)…
   */
  UPSTREAM_CIRCUIT_FAILURE_RATIO: z.coerce.number().gt(0).max(1).default(0.5),
  /** …and the window holds at least this many requests, so a quiet service is not judged on two. */
  UPSTREAM_CIRCUIT_MIN_REQUESTS: z.coerce.number().int().min(1).max(100_000).default(20),
  /** Length of the rolling window the ratio is taken over. */
  UPSTREAM_CIRCUIT_WINDOW_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  /** How long an open circuit answers 503 before one probe request is let through. */
  UPSTREAM_CIRCUIT_OPEN_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** Prefix of the Redis keys shared with identity (session deny-list) and the gateway's own. */
  REDIS_KEY_PREFIX: z.string().max(64).default('elcorp:'),
  /** Shared by the gateway and identity: the gateway signs the client address it forwards with it. */
  CLIENT_ADDRESS_SECRET: z.string().min(32).default(developmentClientAddressSecret),
  ...jwksTimingShape,
  /** Browser origins allowed to call the API (comma-separated, e.g. `https://app.elcorp.na`); unset: no CORS. */
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((value) => (value ?? '').split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''))
    .refine((origins) => origins.every(isOrigin), 'must be comma-separated origins such as https://app.example.na'),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(configShape, env);
}
