import { Authorizer } from '@elcorp/authz';
import type { ServiceDefinition } from '@elcorp/kit';
import { attachMessaging, followKeyWithdrawals, messagingMigrations, oneStatementUnitOfWork, unitOfWork } from '@elcorp/messaging';
import { fileURLToPath } from 'node:url';
import { buildIdentityApp } from './app.js';
import { deliverNextPasswordReset } from './application/passwords.js';
import type { IdentityDeps, Notifier, PasswordHasher } from './application/ports.js';
import { purgeExpiredSecrets } from './application/maintenance.js';
import { verifySecondFactor } from './application/mfa.js';
import { loadIdentityConfig, type IdentityConfig } from './config.js';
import type { IdentityDB } from './infrastructure/db/schema.js';
import { fileNotifier } from './infrastructure/file-notifier.js';
import { identitySubscriptions } from './infrastructure/messaging/subscriptions.js';
import { rememberPolicyBundles, watchPolicyBundles } from './infrastructure/policy-bundles.js';
import * as hasher from './infrastructure/password-hasher.js';
import { drainLoop, type DrainLoop } from './infrastructure/drain-loop.js';
import { emailHasher } from './infrastructure/email-hash.js';
import { sharedPasswordCheckPool } from './infrastructure/password-check-pool.js';
import { redisReplayGuard, redisRevocations } from './infrastructure/redis-guards.js';
import { SecretBox } from './infrastructure/secret-box.js';
import { SigningKeys } from './infrastructure/signing-keys.js';
import { tokenIssuer } from './infrastructure/token-issuer.js';

const keyRotationCheckMs = 60 * 60 * 1000;
const purgeEveryMs = 60 * 1000;
/** Forgot-password requests left by a replica that stopped before delivering them. */
const resetDeliveryPollMs = 5 * 1000;

/** Adapters a test may replace (a notifier it can hold, say); production uses none. */
export interface IdentityOverrides {
  notifier?: Notifier;
  /** The password hasher (a test's, that fails on demand). */
  hasher?: PasswordHasher;
}

/** How the identity service is opened: main.ts serves it, tests open it with their own environment. */
export const identityService = identityServiceWith();

export function identityServiceWith(overrides: IdentityOverrides = {}): ServiceDefinition<IdentityConfig, IdentityDB> {
  return {
    name: 'identity',
    loadConfig: loadIdentityConfig,
    migrations: [messagingMigrations, { dir: fileURLToPath(new URL('../migrations', import.meta.url)) }],
    build: async ({ config, logger, infra }) => {
      const db = infra.database!.db;
      const redis = infra.redis!;
      const now = () => new Date();
      const secrets = new SecretBox(config.IDENTITY_KEY_ENCRYPTION_KEY);
      const keys = new SigningKeys(db, secrets, {
        rotationDays: config.SIGNING_KEY_ROTATION_DAYS,
        prepublishMs: config.SIGNING_KEY_PREPUBLISH_SECONDS * 1000,
        cacheMs: config.SIGNING_KEY_CACHE_SECONDS * 1000,
      });
      await keys.current(); // creates the first key on a new database, before traffic
      const passwordChecks = sharedPasswordCheckPool({
        threads: config.PASSWORD_CHECK_THREADS,
        queueMax: config.PASSWORD_CHECK_QUEUE_MAX,
        timeoutMs: config.PASSWORD_CHECK_TIMEOUT_MS,
      });
      await passwordChecks.ready(); // the estimators are built before traffic
      const identity: IdentityDeps = {
        db,
        uow: unitOfWork(db, { root: config.EVENT_SUBJECT_ROOT }),
        uowInOneStatement: oneStatementUnitOfWork(db, { root: config.EVENT_SUBJECT_ROOT }),
        // New hashes on the password threads, below sign-ins' priority; checks on libuv's pool.
        hasher: overrides.hasher ?? { hash: (password) => passwordChecks.hash(password), verify: hasher.verify, dummyVerify: hasher.dummyVerify },
        checkPassword: (password, context) => passwordChecks.check(password, context),
        emailHash: emailHasher(config.IDENTITY_EMAIL_HASH_KEY),
        secrets,
        tokens: tokenIssuer(keys, now),
        notifier: overrides.notifier ?? fileNotifier(config.NOTIFICATIONS_DIR),
        resetDelivery: { wake: () => resetDelivery.wake() },
        revocations: redisRevocations(redis, config.REDIS_KEY_PREFIX),
        replay: redisReplayGuard(redis, config.REDIS_KEY_PREFIX, 'identity'),
        publicBaseUrl: config.PUBLIC_BASE_URL,
        ...(config.ELCORP_BOOTSTRAP_ADMIN_EMAIL ? { bootstrapAdminEmail: config.ELCORP_BOOTSTRAP_ADMIN_EMAIL } : {}),
        now,
      };
      const resetDelivery: DrainLoop = drainLoop(() => deliverNextPasswordReset(identity), { pollMs: resetDeliveryPollMs, logger, name: 'password reset delivery' });
      infra.defer(() => resetDelivery.close(), 'reset-mail delivery');
      resetDelivery.wake(); // requests a previous process left
      // Decides with the system bundle until the watcher below applies governance's.
      const authorizer = new Authorizer();
      const app = await buildIdentityApp({
        logger,
        healthChecks: infra.healthChecks,
        identity,
        keys,
        authorizer,
        secondFactor: (trx, user, otp) => verifySecondFactor(identity, trx, user, otp),
        clientAddressSecret: config.CLIENT_ADDRESS_SECRET,
      });
      hasher.registerArgon2Metrics(app.metrics);
      const bundles = await watchPolicyBundles(infra.nats!, config.EVENT_SUBJECT_ROOT, { logger, registry: app.metrics, authorizer });
      infra.defer(() => bundles.stop(), 'authz bundle watch');
      rememberPolicyBundles(app, bundles);
      await attachMessaging({ service: 'identity', config, logger, infra, registry: app.metrics, subscriptions: identitySubscriptions(identity) });
      // Every replica reads its key ring again when a withdrawal is announced, not at its age.
      await followKeyWithdrawals({ infra, names: { root: config.EVENT_SUBJECT_ROOT }, keys, logger });
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
}
