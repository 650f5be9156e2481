import { openServiceAuth } from '@elcorp/auth/fastify';
import { watchBundles } from '@elcorp/authz';
import type { ServiceDefinition } from '@elcorp/kit';
import { attachMessaging, followKeyWithdrawals, unitOfWork } from '@elcorp/messaging';
import { buildGovernanceApp } from './app.js';
import type { GovernanceDeps } from './application/ports.js';
import { sweepSla } from './application/sla-scheduler.js';
import { prepareGovernance } from './application/startup.js';
import { loadGovernanceConfig, type GovernanceConfig } from './config.js';
import { authzAdapters } from './infrastructure/authz.js';
import type { GovernanceDB } from './infrastructure/db/schema.js';
import { governanceSubscriptions } from './infrastructure/messaging/subscriptions.js';
import { governanceMigrations } from './migrations.js';

/** How the governance service is opened: main.ts serves it, tests open it with their own environment. */
export const governanceService: ServiceDefinition<GovernanceConfig, GovernanceDB> = {
  name: 'governance',
  loadConfig: loadGovernanceConfig,
  migrations: [...governanceMigrations],
  build: async ({ config, logger, infra }) => {
    const db = infra.database!.db;
    const nats = infra.nats!;
    const names = { root: config.EVENT_SUBJECT_ROOT };
    const auth = openServiceAuth(config, { redis: infra.redis!, logger });
    // Governance writes the bundles and decides with them like every other service.
    const watcher = await watchBundles(nats, names, { logger });
    infra.defer(() => watcher.stop(), 'authz bundle watch');
    const governance: GovernanceDeps = {
      db,
      uow: unitOfWork(db, names),
      ...authzAdapters(watcher.authorizer, nats, names),
      ...(config.ELCORP_BOOTSTRAP_ADMIN_EMAIL ? { bootstrapAdminEmail: config.ELCORP_BOOTSTRAP_ADMIN_EMAIL } : {}),
      now: () => new Date(),
    };
    await prepareGovernance(governance);
    const app = await buildGovernanceApp({ logger, healthChecks: infra.healthChecks, auth, authorizer: watcher.authorizer, governance });
    await attachMessaging({ config, logger, infra, registry: app.metrics, service: 'governance', subscriptions: governanceSubscriptions(governance) });
    // After messaging: identity's stream exists. A withdrawn signing key stops verifying at once.
    await followKeyWithdrawals({ infra, names, keys: auth.jwks, logger });
    const sweep = setInterval(() => {
      sweepSla(governance).catch((err: unknown) => logger.warn({ err }, 'SLA sweep failed'));
    }, config.GOVERNANCE_SLA_SWEEP_SECONDS * 1000);
    sweep.unref();
    infra.defer(async () => clearInterval(sweep));
    return app;
  },
};
