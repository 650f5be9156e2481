import type { Logger } from '@elcorp/kit';

/**
 * Runs queued report generation off the request path: kicked when a report is requested,
 * and on a slow timer for reports queued by other replicas or before a restart. One run at a
 * time per process; a run drains the queue.
 */
export class ReportWorker {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly generateNext: () => Promise<boolean>,
    private readonly logger: Logger,
    private readonly pollMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && (await this.generateNext()));
    } catch (err) {
      this.logger.error({ err }, 'report generation failed');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
