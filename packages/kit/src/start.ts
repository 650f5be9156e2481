import { ConfigError } from './config.js';

export interface ServiceDefinition {
  name: string;
  /** Reads config, wires adapters, listens. Throws to abort start-up. */
  main: () => Promise<void>;
}

/**
 * Runs a service's composition root. A bad configuration or a failed start-up prints one
 * clear line naming the cause and exits non-zero, so an orchestrator restarts or alerts
 * instead of serving half-wired.
 */
export function startService({ name, main }: ServiceDefinition): void {
  main().catch((err: unknown) => {
    const message = err instanceof ConfigError ? err.message : `start-up failed: ${(err as Error)?.stack ?? String(err)}`;
    process.stderr.write(`${JSON.stringify({ level: 'fatal', service: name, msg: message })}\n`);
    process.exit(1);
  });
}
