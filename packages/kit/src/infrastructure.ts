import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { createDatabase, migrate, type Database } from '@elcorp/db';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { connectNats, connectRedis, natsHealth, redisHealth, type NatsCredentials } from './connections.js';
import type { HealthCheck } from './health.js';

/** A directory of forward-only migrations with its own history table. */
export interface MigrationSet {
  dir: string;
  historyTable?: string;
}

export interface InfrastructureOptions {
  service: string;
  logger: Logger;
  postgres?: { url: string; schema: string; migrations: MigrationSet[] };
  natsUrl?: string;
  /** The service's own broker user; absent for a broker that asks for none. */
  natsCredentials?: NatsCredentials;
  redisUrl?: string;
}

export interface Infrastructure<DB> {
  database?: Database<DB>;
  nats?: NatsConnection;
  redis?: Redis;
  /** One readiness check per dependency the service opened. */
  healthChecks: Record<string, HealthCheck>;
  /**
   * Registers something to close before the connections it depends on. The name appears in
   * the warning logged when that step is slow, so a stuck shutdown names its culprit.
   */
  defer(closer: () => Promise<void>, name?: string): void;
  /** Closes whatever was opened or deferred, last first. */
  close(): Promise<void>;
}

/**
 * Opens the service's dependencies and migrates its schema before it takes traffic. If a
 * later step fails, what was already opened is closed so start-up fails cleanly.
 */
export async function openInfrastructure<DB>(options: InfrastructureOptions): Promise<Infrastructure<DB>> {
  const closers: Closer[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await runCloser(closer, options.logger);
    closers.length = 0;
  };
  const infra: Infrastructure<DB> = {
    healthChecks: {},
    close,
    defer: (run, name) => closers.push({ name: name ?? (run.name || 'deferred step'), run }),
  };
  try {
    if (options.postgres) {
      const { url, schema, migrations } = options.postgres;
      const database = createDatabase<DB>({
        url,
        schema,
        applicationName: `elcorp-${options.service}`,
        onError: (err) => options.logger.warn({ err: { message: err.message } }, 'idle postgres client failed'),
      });
      closers.push({ name: 'postgres pool', run: () => database.close() });
      for (const set of migrations) {
        const { applied } = await migrate({
          pool: database.pool,
          schema,
          migrationsDir: set.dir,
          ...(set.historyTable ? { historyTable: set.historyTable } : {}),
          log: (msg, fields) => options.logger.info(fields ?? {}, msg),
        });
        options.logger.info({ dir: set.dir, applied: applied.length }, 'schema migrated');
      }
      infra.database = database;
      infra.healthChecks['postgres'] = () => database.ping();
    }
    if (options.natsUrl) {
      const nats = await connectNats(options.natsUrl, `elcorp-${options.service}`, options.logger, options.natsCredentials);
      closers.push({ name: 'nats drain', run: () => drainWithin(nats, natsDrainDeadlineMs, options.logger) });
      infra.nats = nats;
      infra.healthChecks['nats'] = natsHealth(nats);
    }
    if (options.redisUrl) {
      const redis = await connectRedis(options.redisUrl, options.logger);
      closers.push({ name: 'redis', run: async () => {
        // quit() resolves on Redis's OK; the socket closes just after. Wait for it, so a
        // closed service holds no handle that keeps the process alive.
        const ended = redis.status === 'end' ? Promise.resolve() : once(redis, 'end');
        await redis.quit();
        await ended;
      } });
      infra.redis = redis;
      infra.healthChecks['redis'] = redisHealth(redis);
    }
    return infra;
  } catch (err) {
    await close();
    throw err;
  }
}

interface Closer {
  name: string;
  run: () => Promise<void>;
}

/** A closing step slower than this is named in a warning while it still runs. */
export const slowCloseStepMs = 2_000;

/**
 * Runs one closing step; a failure is logged and does not stop the steps after it. A step
 * still running after slowCloseStepMs is named at once, not when (or if) it ends: a shutdown
 * that outlives its deadline then says which dependency held it.
 */
async function runCloser({ name, run }: Closer, logger: Logger): Promise<void> {
  const started = performance.now();
  const watchdog = setTimeout(() => logger.warn({ step: name, ms: slowCloseStepMs }, 'a closing step is still running'), slowCloseStepMs);
  try {
    await run();
  } catch (err) {
    logger.warn({ err, step: name }, 'a closing step failed');
  } finally {
    clearTimeout(watchdog);
  }
  const ms = Math.round(performance.now() - started);
  if (ms >= slowCloseStepMs) logger.warn({ step: name, ms }, 'a closing step was slow');
}

/** How long a NATS drain may take before the connection is simply closed. */
export const natsDrainDeadlineMs = 3_000;

/**
 * Drains (in-flight messages are handled, subscriptions end) but no longer than the deadline:
 * a subscription the server is slow to end must not hold a rolling deploy. Whatever was not
 * acknowledged by then is redelivered to another replica, so closing loses nothing.
 */
async function drainWithin(nats: NatsConnection, deadlineMs: number, logger: Logger): Promise<void> {
  const drained = nats.drain().then(
    () => true,
    () => true, // a drain that fails (already closed) has nothing left to wait for
  );
  const outcome = await Promise.race([drained, delay(deadlineMs, false, { ref: false })]);
  if (outcome) return;
  logger.warn({ ms: deadlineMs }, 'the nats drain outlived its deadline; closing the connection');
  await nats.close();
}
