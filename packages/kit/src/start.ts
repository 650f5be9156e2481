import type { Logger } from 'pino';
import type { App } from './app.js';
import { ConfigError, natsCredentialsOf } from './config.js';
import { openInfrastructure, type Infrastructure, type MigrationSet } from './infrastructure.js';
import { createLogger } from './logger.js';
import { serve } from './shutdown.js';

/** The configuration fields every service shares (baseConfigShape plus its connections). */
export interface RuntimeConfig {
  HOST: string;
  PORT: number;
  LOG_LEVEL: string;
  SHUTDOWN_TIMEOUT_MS: number;
  DATABASE_URL?: string;
  DATABASE_SCHEMA?: string;
  NATS_URL?: string;
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  REDIS_URL?: string;
}

export interface ServiceContext<C extends RuntimeConfig, DB> {
  config: C;
  logger: Logger;
  infra: Infrastructure<DB>;
}

export interface ServiceDefinition<C extends RuntimeConfig, DB> {
  name: string;
  loadConfig: (env?: Record<string, string | undefined>) => C;
  /** Migration sets applied in order at start; omit for a service without Postgres. */
  migrations?: MigrationSet[];
  build: (context: ServiceContext<C, DB>) => Promise<App>;
}

export interface OpenService<C extends RuntimeConfig, DB> extends ServiceContext<C, DB> {
  app: App;
}

/**
 * Everything start-up does before listening: config, logger, connections, migrations, the
 * app and its workers. Tests call this with their own environment to run the very wiring
 * production runs; closing the app closes everything it opened.
 */
export async function openService<C extends RuntimeConfig, DB>(
  { name, loadConfig, migrations, build }: ServiceDefinition<C, DB>,
  env?: Record<string, string | undefined>,
): Promise<OpenService<C, DB>> {
  const config = loadConfig(env);
  const logger = createLogger({ service: name, level: config.LOG_LEVEL });
  const postgres =
    migrations && config.DATABASE_URL && config.DATABASE_SCHEMA
      ? { url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, migrations }
      : undefined;
  const natsCredentials = natsCredentialsOf(config);
  const infra = await openInfrastructure<DB>({
    service: name,
    logger,
    ...(postgres ? { postgres } : {}),
    ...(config.NATS_URL ? { natsUrl: config.NATS_URL } : {}),
    ...(natsCredentials ? { natsCredentials } : {}),
    ...(config.REDIS_URL ? { redisUrl: config.REDIS_URL } : {}),
  });
  try {
    const app = await build({ config, logger, infra });
    app.addHook('onClose', infra.close);
    return { app, config, logger, infra };
  } catch (err) {
    await infra.close();
    throw err;
  }
}

/**
 * The composition root every service shares: open, then listen with graceful shutdown. A
 * bad configuration or a failed start prints one line naming the cause and exits non-zero,
 * so an orchestrator alerts instead of serving a half-wired process.
 */
export function startService<C extends RuntimeConfig, DB = unknown>(definition: ServiceDefinition<C, DB>): void {
  run(definition).catch((err: unknown) => {
    const message = err instanceof ConfigError ? err.message : `start-up failed: ${(err as Error)?.stack ?? String(err)}`;
    process.stderr.write(`${JSON.stringify({ level: 'fatal', service: definition.name, msg: message })}\n`);
    process.exit(1);
  });
}

async function run<C extends RuntimeConfig, DB>(definition: ServiceDefinition<C, DB>): Promise<void> {
  const { app, config, logger } = await openService(definition);
  try {
    const address = await serve(app, { host: config.HOST, port: config.PORT, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
    logger.info({ address }, `${definition.name} ready`);
  } catch (err) {
    await app.close();
    throw err;
  }
}
