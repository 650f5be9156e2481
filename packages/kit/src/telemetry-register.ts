/**
 * Entry point for `node --import @elcorp/kit/telemetry dist/main.js`: runs before the
 * service's first import, so every instrumented module is patched when it loads.
 *
 * It never handles SIGTERM/SIGINT (the service's graceful shutdown owns them, and the
 * kit's shutdown() flushes spans through shutdownTelemetry). `beforeExit` covers a process
 * that ends on its own, e.g. a script.
 */
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { ConfigError } from './config.js';
import { loadTelemetryConfig, type TelemetryConfig } from './config/telemetry.js';
import { shutdownTelemetry, startTelemetry } from './telemetry.js';

// A worker thread inherits the --import (identity's password-strength pool): it serves no
// request and sends nothing, so it gets no SDK, no loader hook and no patched modules.
if (isMainThread) {
  // ESM modules are patched by import-in-the-middle's loader hook; CommonJS ones by
  // require-in-the-middle, which the instrumentations install themselves.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

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
