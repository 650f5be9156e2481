import type { Logger } from '@elcorp/kit';

export interface DrainLoop {
  /** Something was queued: drain now (a drain already running goes round once more). */
  wake(): void;
  /** Stops the poll and waits for the drain in progress. */
  close(): Promise<void>;
}

/**
 * Runs `step` until it reports nothing left, when woken and every `pollMs` (work queued by a
 * replica that crashed before draining it). One drain at a time per process; a failed step
 * ends the round and the next wake or poll tries again.
 */
export function drainLoop(step: () => Promise<boolean>, options: { pollMs: number; logger: Logger; name: string }): DrainLoop {
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  const drain = async () => {
    do {
      again = false;
      try {
        while (!closed && (await step()));
      } catch (err) {
        options.logger.warn({ err }, `${options.name} failed; retrying on the next poll`);
        return;
      }
    } while (again && !closed);
  };
  const wake = () => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = drain().finally(() => (running = undefined));
  };
  const poll = setInterval(wake, options.pollMs);
  poll.unref();
  return {
    wake,
    async close() {
      closed = true;
      clearInterval(poll);
      await running;
    },
  };
}
