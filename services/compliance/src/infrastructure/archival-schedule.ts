import type { Logger } from '@elcorp/kit';
import type { ArchivalRun } from '../application/archive-entries.js';

/**
 * Runs the archival job on every replica's timer; the job's advisory lock lets one replica
 * work at a time, and a run never overlaps itself here. Returns the stop function.
 */
export function scheduleArchival(run: () => Promise<ArchivalRun>, logger: Logger, everyMs: number): () => Promise<void> {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = run()
      .then((result) => {
        if (!result.ran) return;
        logger.info({ archived: result.archived }, 'audit entries past retention archived');
        if (result.unmatched.length > 0) logger.error({ seqs: result.unmatched.slice(0, 20), count: result.unmatched.length }, 'expired audit entries whose row or archive no longer matches the leaf hash: left live, run a verification');
      })
      .catch((err: unknown) => logger.error({ err }, 'archiving audit entries failed'))
      .finally(() => {
        running = null;
      });
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
