import { serviceAuthConfigShape } from '@elcorp/auth/fastify';
import { baseConfigShape, ConfigError, databaseUrl, loadConfig, natsConfigShape, port, redisUrl } from '@elcorp/kit';
import { z } from 'zod';
import { parseRetentionRules, retentionDaysMax, retentionDaysMin } from './domain/retention.js';

/**
 * Development master key. It only protects keys on a developer machine; with
 * NODE_ENV=production the service refuses to start on it.
 */
const developmentMasterKey = Buffer.alloc(32, 'elcorp-compliance-development').toString('base64');
/** The key docker-compose.yml ships for its development stack: public too. */
const composeDevelopmentMasterKey = Buffer.from('elcorp-compose-compliance-key!!!').toString('base64');

const base64Key = z
  .string()
  .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)');

/** Every variable the compliance service reads; README.md documents each one. */
export const configShape = {
  ...baseConfigShape,
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** Set only by a development stack (compose) that runs production images with public keys. */
  ELCORP_DEVELOPMENT_STACK: z.enum(['true', 'false']).default('false'),
  PORT: port(8084),
  DATABASE_URL: databaseUrl('elcorp_compliance'),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('compliance'),
  ...natsConfigShape,
  REDIS_URL: redisUrl,
  /** JWKS_URL, JWKS_* timing and REDIS_KEY_PREFIX: how callers' access tokens are verified. */
  ...serviceAuthConfigShape,
  /** Seals the per-subject PII keys and the checkpoint signing keys at rest (AES-256-GCM). */
  COMPLIANCE_MASTER_KEY: base64Key.default(developmentMasterKey),
  /** The checkpoint origin line and signed-note key name: no spaces, no "+". */
  AUDIT_LOG_ORIGIN: z.string().regex(/^[^\s+]{1,255}$/, 'no spaces or "+"').default('elcorp.na/compliance/audit-log'),
  /** How often a replica tries to sign a checkpoint of a grown log. */
  CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
  /** Days an entry stays in the live log before its data moves to the archive (10 years). */
  COMPLIANCE_RETENTION_DAYS: z.coerce.number().int().min(retentionDaysMin).max(retentionDaysMax).default(3_650),
  /** Per-type retention, `type=days` or `family.*=days`, comma-separated; README says why these. */
  COMPLIANCE_RETENTION_OVERRIDES: z
    .string()
    .default('identity.user.login_failed=365')
    .transform((text, ctx) => {
      const parsed = parseRetentionRules(text);
      if (parsed.ok) return parsed.rules;
      for (const message of parsed.errors) ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }),
  /** How often a replica tries the archival job (one replica runs it at a time). */
  COMPLIANCE_ARCHIVAL_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(3_600_000),
};

export type ComplianceConfig = ReturnType<typeof loadComplianceConfig>;

export function loadComplianceConfig(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(configShape, env);
  const publicKey = config.COMPLIANCE_MASTER_KEY === developmentMasterKey || config.COMPLIANCE_MASTER_KEY === composeDevelopmentMasterKey;
  if (config.NODE_ENV === 'production' && publicKey && config.ELCORP_DEVELOPMENT_STACK !== 'true') {
    throw new ConfigError([{ variable: 'COMPLIANCE_MASTER_KEY', message: 'must be set in production (the development key is public)' }]);
  }
  return config;
}

/**
 * What `pnpm elcorp audit verify` reads: only the caller's access token, for --url. The
 * verifier is a client of the service, so it reads none of the service's own settings.
 */
export const auditVerifyConfigShape = {
  /** An access token with audit:view and audit:export; in the environment, where ps does not show it. */
  ELCORP_ACCESS_TOKEN: z.string().min(1).max(8_192).optional(),
};

export function loadAuditVerifyConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(auditVerifyConfigShape, env);
}
