import { baseConfigShape, ConfigError, databaseUrl, loadConfig, natsConfigShape, port, redisUrl, developmentClientAddressSecret, publicClientAddressSecrets } from '@elcorp/kit';
import { z } from 'zod';

/**
 * Development key-encryption keys: the built-in default and the one docker-compose.yml
 * ships. Both are public, so they only protect keys on a developer machine.
 */
const developmentKek = Buffer.alloc(32, 'elcorp-development-kek').toString('base64');
const composeDevelopmentKek = Buffer.from('elcorp-compose-development-kek!!').toString('base64');
const developmentKeks = new Set([developmentKek, composeDevelopmentKek]);
/** The same for the email-hash key (docker-compose.yml ships the second one). */
const developmentEmailHashKey = Buffer.alloc(32, 'elcorp-development-email-hash').toString('base64');
const composeDevelopmentEmailHashKey = Buffer.from('elcorp-compose-email-hash-key!!!').toString('base64');
const developmentEmailHashKeys = new Set([developmentEmailHashKey, composeDevelopmentEmailHashKey]);

const base64Key = z
  .string()
  .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)');

/** Every variable the identity service reads; README.md documents each one. */
export const configShape = {
  ...baseConfigShape,
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** Set only by a development stack (compose) that runs production images with public keys. */
  ELCORP_DEVELOPMENT_STACK: z.enum(['true', 'false']).default('false'),
  PORT: port(8081),
  DATABASE_URL: databaseUrl('elcorp_identity'),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('identity'),
  ...natsConfigShape,
  REDIS_URL: redisUrl,
  REDIS_KEY_PREFIX: z.string().max(64).default('elcorp:'),
  /** Shared by the gateway and identity: the gateway signs the client address it forwards with it. */
  CLIENT_ADDRESS_SECRET: z.string().min(32).default(developmentClientAddressSecret),
  PUBLIC_BASE_URL: z.url().default('http://localhost:8080'),
  IDENTITY_KEY_ENCRYPTION_KEY: base64Key.optional(),
  /** Keys the HMAC-SHA-256 of emails in failure counters and `identity.user.login_failed`. */
  IDENTITY_EMAIL_HASH_KEY: base64Key.optional(),
  SIGNING_KEY_ROTATION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** How long a replica reuses the key ring it read; a rotation elsewhere is seen after this. */
  SIGNING_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  /**
   * A scheduled rotation publishes the next key this long before it signs with it: longer
   * than verifiers keep a JWKS (JWKS_MAX_AGE_MS, 5 min) plus SIGNING_KEY_CACHE_SECONDS.
   */
  SIGNING_KEY_PREPUBLISH_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
  ELCORP_BOOTSTRAP_ADMIN_EMAIL: z.email().optional(),
  /** Worker threads, below sign-ins' CPU priority, estimating password strength and making new hashes. */
  PASSWORD_CHECK_THREADS: z.coerce.number().int().min(1).max(16).default(1),
  /** Password checks and new hashes waiting for a thread; beyond it registration and resets answer 503. */
  PASSWORD_CHECK_QUEUE_MAX: z.coerce.number().int().min(1).max(10_000).default(64),
  /** Deadline of one password check or new hash, waiting included: 503 after it. */
  PASSWORD_CHECK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  NOTIFICATIONS_DIR: z.string().min(1).default('.data/mailbox'),
};

export type IdentityConfig = ReturnType<typeof loadIdentityConfig>;

/**
 * In production the secret keys (key encryption, email hash, the secret shared with the
 * gateway) have no usable default, and a known
 * development key is refused unless the stack says it is a development one (compose);
 * elsewhere the built-in development keys apply.
 */
export function loadIdentityConfig(env: Record<string, string | undefined> = process.env) {
  const { IDENTITY_KEY_ENCRYPTION_KEY: kek, IDENTITY_EMAIL_HASH_KEY: emailHashKey, ...config } = loadConfig(configShape, env);
  if (config.NODE_ENV === 'production') {
    const developmentStack = config.ELCORP_DEVELOPMENT_STACK === 'true';
    requireProductionKey('IDENTITY_KEY_ENCRYPTION_KEY', kek, developmentKeks, developmentStack);
    requireProductionKey('IDENTITY_EMAIL_HASH_KEY', emailHashKey, developmentEmailHashKeys, developmentStack);
    // Identity believes the client addresses and verified-proof attestations signed under it.
    if (publicClientAddressSecrets.has(config.CLIENT_ADDRESS_SECRET) && !developmentStack) {
      throw new ConfigError([{ variable: 'CLIENT_ADDRESS_SECRET', message: 'must be set in production, never to a development value (it is public)' }]);
    }
  }
  return Object.freeze({
    ...config,
    IDENTITY_KEY_ENCRYPTION_KEY: kek ?? developmentKek,
    IDENTITY_EMAIL_HASH_KEY: emailHashKey ?? developmentEmailHashKey,
  });
}

function requireProductionKey(variable: string, key: string | undefined, developmentKeys: ReadonlySet<string>, developmentStack: boolean): void {
  if (!key) throw new ConfigError([{ variable, message: 'is required in production (openssl rand -base64 32)' }]);
  if (developmentKeys.has(key) && !developmentStack) {
    throw new ConfigError([{ variable, message: 'must not be a development key in production (it is public)' }]);
  }
}
