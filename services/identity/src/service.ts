import type { ServiceDefinition } from '@elcorp/kit';
import { attachMessaging, messagingMigrations, unitOfWork } from '@elcorp/messaging';
import { fileURLToPath } from 'node:url';
import { buildIdentityApp } from './app.js';
import type { IdentityDeps } from './application/ports.js';
import { purgeExpiredSecrets } from './application/maintenance.js';
import { verifySecondFactor } from './application/mfa.js';
import { loadIdentityConfig, type IdentityConfig } from './config.js';
import { checkPassword } from './domain/password-policy.js';
import type { IdentityDB } from './infrastructure/db/schema.js';
import { fileNotifier } from './infrastructure/file-notifier.js';
import { identitySubscriptions } from './infrastructure/messaging/subscriptions.js';
import * as hasher from './infrastructure/password-hasher.js';
import { isCommonPassword, strength } from './infrastructure/password-strength.js';
import { redisReplayGuard, redisRevocations } from './infrastructure/redis-guards.js';
import { SecretBox } from './infrastructure/secret-box.js';
import { SigningKeys } from './infrastructure/signing-keys.js';
import { tokenIssuer } from './infrastructure/token-issuer.js';

const keyRotationCheckMs = 60 * 60 * 1000;
const purgeEveryMs = 60 * 1000;

/** How the identity service is opened: main.ts serves it, tests open it with their own environment. */
export const identityService: ServiceDefinition<IdentityConfig, IdentityDB> = {
  name: 'identity',
  loadConfig: loadIdentityConfig,
  migrations: [messagingMigrations, { dir: fileURLToPath(new URL('../migrations', import.meta.url)) }],
  build: async ({ config, logger, infra }) => {
    const db = infra.database!.db;
    const redis = infra.redis!;
    const now = () => new Date();
    const secrets = new SecretBox(config.IDENTITY_KEY_ENCRYPTION_KEY);
    const keys = new SigningKeys(db, secrets, { rotationDays: config.SIGNING_KEY_ROTATION_DAYS, cacheMs: config.SIGNING_KEY_CACHE_SECONDS * 1000 });
    await keys.current(); // creates the first key on a new database, before traffic
    const identity: IdentityDeps = {
      db,
      uow: unitOfWork(db, { root: config.EVENT_SUBJECT_ROOT }),
      hasher,
      checkPassword: (password, context) => checkPassword(password, context, { strength, isCommon: isCommonPassword }),
      secrets,
      tokens: tokenIssuer(keys, now),
      notifier: fileNotifier(config.NOTIFICATIONS_DIR),
      revocations: redisRevocations(redis, config.REDIS_KEY_PREFIX),
      replay: redisReplayGuard(redis, config.REDIS_KEY_PREFIX, 'identity'),
      publicBaseUrl: config.PUBLIC_BASE_URL,
      ...(config.ELCORP_BOOTSTRAP_ADMIN_EMAIL ? { bootstrapAdminEmail: config.ELCORP_BOOTSTRAP_ADMIN_EMAIL } : {}),
      now,
    };
    const app = await buildIdentityApp({ logger, healthChecks: infra.healthChecks, identity, keys, secondFactor: (trx, user, otp) => verifySecondFactor(identity, trx, user, otp), clientAddressSecret: config.CLIENT_ADDRESS_SECRET });
    await attachMessaging({ service: 'identity', config, logger, infra, registry: app.metrics, subscriptions: identitySubscriptions });
    // The rotation schedule: every replica checks hourly; the advisory lock lets one rotate.
    const rotation = setInterval(() => {
      keys.rotateIfDue().catch((err: unknown) => logger.error({ err }, 'signing key rotation failed'));
    }, keyRotationCheckMs);
    rotation.unref();
    const purge = setInterval(() => {
      purgeExpiredSecrets(db).catch((err: unknown) => logger.warn({ err }, 'purging expired secrets failed'));
    }, purgeEveryMs);
    purge.unref();
    infra.defer(async () => {
      clearInterval(rotation);
      clearInterval(purge);
    });
    return app;
  },
};
