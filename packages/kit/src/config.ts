import { z } from 'zod';
import type { NatsCredentials } from './connections.js';

/** A configuration that failed validation; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly issues: ReadonlyArray<{ variable: string; message: string }>) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Variables every service reads (API.md, "Configuration"). Services extend this shape. */
export const baseConfigShape = {
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: logLevel.default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json', 'grpc']).default('http/protobuf'),
  /** Root of every event subject and stream name; tests and side-by-side fleets use their own. */
  EVENT_SUBJECT_ROOT: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/).default('elcorp'),
  /** Size limit of each event stream; JetStream reserves it on disk when the stream is made. */
  EVENT_STREAM_MAX_BYTES: z.coerce.number().int().min(1024 * 1024).default(1024 ** 3),
  /**
   * How long the event streams keep a message (PII included: erasure cannot reach the broker).
   * A week: consumers catch up after an outage of days. Outbox rows and inbox ids follow it.
   */
  EVENT_STREAM_MAX_AGE_HOURS: z.coerce.number().int().min(1).max(8_760).default(168),
  /** How long the dead-letter stream keeps a message: two weeks to inspect and replay it. */
  EVENT_DLQ_MAX_AGE_HOURS: z.coerce.number().int().min(1).max(8_760).default(336),
};

export const port = (defaultPort: number) => z.coerce.number().int().min(0).max(65_535).default(defaultPort);

/** Postgres/NATS/Redis URLs with defaults that reach the standard local ports. */
export const databaseUrl = (role: string) => z.url().default(`postgres://${role}@127.0.0.1:5432/elcorp`);
export const natsUrl = z.string().min(1).default('nats://127.0.0.1:4222');
/**
 * The broker connection: where, and as whom. A production broker (infra/nats/nats.conf) knows
 * each service as a user of its own, allowed to publish only its own events; the machine's
 * development broker asks for no credentials, so both are optional (natsCredentialsOf).
 */
export const natsConfigShape = {
  NATS_URL: natsUrl,
  NATS_USER: z.string().min(1).max(256).optional(),
  NATS_PASSWORD: z.string().min(1).max(1024).optional(),
};

/** A user without a password (or the reverse) is a half-made deployment: refused at start, not at the first reconnect. */
export function natsCredentialsOf(config: { NATS_USER?: string | undefined; NATS_PASSWORD?: string | undefined }): NatsCredentials | undefined {
  const { NATS_USER: user, NATS_PASSWORD: pass } = config;
  if (user === undefined && pass === undefined) return undefined;
  if (user === undefined || pass === undefined) {
    const missing = user === undefined ? 'NATS_USER' : 'NATS_PASSWORD';
    throw new ConfigError([{ variable: missing, message: 'NATS_USER and NATS_PASSWORD are set together or not at all' }]);
  }
  return { user, pass };
}
export const redisUrl = z.url().default('redis://127.0.0.1:6379');

/**
 * Parses the environment once. Unknown variables are ignored (the environment holds many);
 * a missing or bad one throws a ConfigError naming it. The result is frozen so nobody can
 * tweak configuration at run time.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined>,
): Readonly<z.infer<z.ZodObject<S>>> {
  // Empty strings mean "unset" so `FOO= cmd` behaves like an absent variable.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = z.object(shape).safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '(root)'), message: issue.message })),
    );
  }
  return Object.freeze(result.data);
}
