/**
 * Entry point for `node --import @elcorp/kit/telemetry dist/main.js`: runs before the
 * service's first import, so tracing is on before the service builds its app (buildApp then
 * traces its requests) and opens its database.
 *
 * It never handles SIGTERM/SIGINT (the service's graceful shutdown owns them, and the
 * kit's shutdown() flushes spans through shutdownTelemetry). `beforeExit` covers a process
 * that ends on its own, e.g. a script.
 */
import { isMainThread } from 'node:worker_threads';
import { ConfigError } from './config.js';
import { loadTelemetryConfig, type TelemetryConfig } from './config/telemetry.js';
import { shutdownTelemetry, startTelemetry } from './telemetry.js';

// A worker thread inherits the --import (identity's password-strength pool): it serves no
// request and sends nothing, so it gets no SDK.
if (isMainThread) {
  let config: TelemetryConfig;
  try {
    config = loadTelemetryConfig();
  } catch (err) {
    // Same one-line shape as startService's start-up failures.
    const message = err instanceof ConfigError ? err.message : String(err);
    process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: `telemetry: ${message}` })}\n`);
    process.exit(1);
  }

  startTelemetry(config);
  process.once('beforeExit', () => {
    void shutdownTelemetry();
  });
}
