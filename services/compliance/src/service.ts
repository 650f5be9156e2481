import { openServiceAuth } from '@elcorp/auth/fastify';
import { watchBundles } from '@elcorp/authz';
import type { ServiceDefinition } from '@elcorp/kit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { attachMessaging, followKeyWithdrawals, messagingMigrations, unitOfWork, type SettledOutcome } from '@elcorp/messaging';
import { fileURLToPath } from 'node:url';
import { buildComplianceApp } from './app.js';
import { archiveExpiredEntries } from './application/archive-entries.js';
import { issueCheckpoint } from './application/checkpoints.js';
import { generateNextReport } from './application/reports.js';
import { scheduleArchival } from './infrastructure/archival-schedule.js';
import { ReportWorker } from './infrastructure/report-worker.js';
import type { ComplianceDeps } from './application/ports.js';
import { loadComplianceConfig, type ComplianceConfig } from './config.js';
import type { ComplianceDB } from './infrastructure/db/schema.js';
import { AuditMetrics } from './infrastructure/audit-metrics.js';
import { auditConsumers } from './infrastructure/messaging/subscriptions.js';
import { MasterKey } from './infrastructure/secret-box.js';
import { CheckpointSigner } from './infrastructure/signing-keys.js';
import { SubjectKeys } from './infrastructure/subject-keys.js';

/** Reports queued elsewhere (another replica, before a restart) are picked up this often. */
const reportPollMs = 5_000;

export interface ComplianceHooks {
  /** The wired use-case dependencies, once built (tests drive use cases through them). */
  onReady?: (deps: ComplianceDeps) => void;
  /** Observes each event the audit consumers settled. */
  onSettled?: (outcome: SettledOutcome) => void;
  /** false: no audit consumers (tests of the log's mechanics append by themselves). */
  consume?: boolean;
}

/** The compliance service's wiring; tests pass hooks, main.ts none. */
export function defineComplianceService(hooks: ComplianceHooks = {}): ServiceDefinition<ComplianceConfig, ComplianceDB> {
  return {
    name: 'compliance',
    loadConfig: loadComplianceConfig,
    migrations: [messagingMigrations, { dir: fileURLToPath(new URL('../migrations', import.meta.url)) }],
    build: async ({ config, logger, infra }) => {
      const db = infra.database!.db;
      const names = { root: config.EVENT_SUBJECT_ROOT };
      const master = new MasterKey(Buffer.from(config.COMPLIANCE_MASTER_KEY, 'base64'));
      const deps: ComplianceDeps = {
        db,
        uow: unitOfWork(db, names),
        names,
        keys: new SubjectKeys(master),
        signer: new CheckpointSigner(db, master, config.AUDIT_LOG_ORIGIN),
        origin: config.AUDIT_LOG_ORIGIN,
        now: () => new Date(),
      };
      const reports = new ReportWorker(() => generateNextReport(deps), logger, reportPollMs);
      const auth = openServiceAuth(config, { redis: infra.redis!, logger });
      const bundles = await watchBundles(infra.nats!, names, { logger });
      infra.defer(() => bundles.stop(), 'authz bundle watch');
      const app = await buildComplianceApp({ logger, healthChecks: infra.healthChecks, deps, auth, authorizer: bundles.authorizer, kickReports: () => reports.kick() });
      const messaging = await attachMessaging({ service: 'compliance', config, logger, infra, registry: app.metrics });
      // After messaging: identity's stream exists. A withdrawn signing key stops verifying at once.
      await followKeyWithdrawals({ infra, names, keys: auth.jwks, logger });
      const auditMetrics = new AuditMetrics(app.metrics, db);
      if (hooks.consume !== false) {
        const consumers = auditConsumers(deps, {
          js: jetstream(infra.nats!),
          jsm: await jetstreamManager(infra.nats!),
          names,
          logger,
          metrics: messaging.metrics,
          audit: auditMetrics,
          ...(hooks.onSettled ? { onSettled: hooks.onSettled } : {}),
        });
        for (const consumer of consumers) await consumer.start();
        // Deferred after messaging's own stop, so these stop first (closers run last first).
        infra.defer(async () => {
          await Promise.all(consumers.map((c) => c.stop()));
        }, 'audit consumers');
      }
      // A new log gets its first checkpoint (size 0) before traffic; later ones follow growth.
      await issueCheckpoint(deps);
      const checkpoints = setInterval(() => {
        issueCheckpoint(deps).catch((err: unknown) => logger.error({ err }, 'signing a checkpoint failed'));
      }, config.CHECKPOINT_INTERVAL_MS);
      checkpoints.unref();
      reports.start();
      const retention = { defaultDays: config.COMPLIANCE_RETENTION_DAYS, rules: config.COMPLIANCE_RETENTION_OVERRIDES };
      const stopArchival = scheduleArchival(() => archiveExpiredEntries(deps, retention), logger, config.COMPLIANCE_ARCHIVAL_INTERVAL_MS);
      infra.defer(async () => {
        clearInterval(checkpoints);
        await Promise.all([reports.stop(), stopArchival()]);
      }, 'checkpoints, reports and archival');
      hooks.onReady?.(deps);
      return app;
    },
  };
}

/** How the compliance service is opened: main.ts serves it. */
export const complianceService = defineComplianceService();
