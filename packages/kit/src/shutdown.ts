import type { App } from './app.js';
import { shutdownTelemetry } from './telemetry.js';

export interface ShutdownResult {
  /** True when in-flight requests did not finish before the deadline and were cut. */
  timedOut: boolean;
}

/**
 * Stops accepting, lets in-flight requests finish, then runs the app's onClose hooks
 * (pools, brokers). Past the deadline, open connections are destroyed so the process can
 * still exit: a stuck request must not keep a rolling deploy waiting forever.
 */
export async function shutdown(app: App, deadlineMs: number): Promise<ShutdownResult> {
  app.lifecycle.shuttingDown = true;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), deadlineMs);
  });
  const closing = app.close().then(() => 'closed' as const);
  const outcome = await Promise.race([closing, deadline]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    app.log.error({ deadlineMs }, 'in-flight requests outlived the shutdown deadline; closing their connections');
    app.server.closeAllConnections();
    await closing;
  }
  await shutdownTelemetry(); // flush spans last: closing the app still traces; no-op without telemetry
  return { timedOut: outcome === 'timeout' };
}

export interface ServeOptions {
  host: string;
  port: number;
  shutdownTimeoutMs: number;
  /** Called after shutdown with the exit code; defaults to process.exit. */
  exit?: (code: number) => void;
}

/** Listens and wires SIGTERM/SIGINT to a graceful shutdown. Returns the bound address. */
export async function serve(app: App, options: ServeOptions): Promise<string> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return; // a second Ctrl-C during drain must not start a second shutdown
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    shutdown(app, options.shutdownTimeoutMs).then(
      ({ timedOut }) => {
        app.log.info({ timedOut }, 'stopped');
        exit(timedOut ? 1 : 0);
      },
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  app.addHook('onClose', async () => {
    // Closed by a signal: keep swallowing repeats until exit. Closed in code: let go.
    if (stopping) return;
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  });
  return app.listen({ host: options.host, port: options.port });
}
