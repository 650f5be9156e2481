import { AppError } from '@elcorp/kit';

/** Whose argon2 job waits less: checking a password someone is signing in with, or making a new hash. */
export type Argon2Priority = 'check' | 'hash';

export interface Argon2GateOptions {
  /** Jobs handed to libuv's thread pool at once: its width, so the pool's own queue stays empty. */
  width: number;
  /** Jobs waiting their turn, beyond which a job is refused with 503 and Retry-After. */
  waitingMax: number;
}

/**
 * Decides the order in which argon2 jobs reach libuv's thread pool. That pool serves its queue
 * first come, first served, so sixteen clients registering long passwords put every honest
 * login behind all their hashes. Here a password check (a login, an erasure, a password
 * change) goes before every hash that has not started yet; at most `width` jobs are in the
 * pool, so one waits no longer than the next job to finish. The pool's width and the CPU per
 * hash are unchanged: only the order of the waiting jobs is ours.
 */
export class Argon2Gate {
  private inPool = 0;
  private readonly waiting: Record<Argon2Priority, Array<() => void>> = { check: [], hash: [] };

  constructor(private readonly options: Argon2GateOptions) {}

  async run<T>(priority: Argon2Priority, job: () => Promise<T>): Promise<T> {
    if (this.inPool < this.options.width) this.inPool += 1;
    else await this.turn(priority); // a finishing job hands its place over: inPool is unchanged
    try {
      return await job();
    } finally {
      this.release();
    }
  }

  /** Jobs waiting for a place, for metrics and tests. */
  get queued(): number {
    return this.waiting.check.length + this.waiting.hash.length;
  }

  private turn(priority: Argon2Priority): Promise<void> {
    if (this.queued >= this.options.waitingMax) {
      return Promise.reject(
        new AppError(503, 'service_unavailable', 'Service unavailable', {
          detail: 'too many password checks are waiting; retry later',
          headers: { 'retry-after': '1' },
        }),
      );
    }
    return new Promise((resolve) => this.waiting[priority].push(resolve));
  }

  private release(): void {
    const next = this.waiting.check.shift() ?? this.waiting.hash.shift();
    if (next) next();
    else this.inPool -= 1;
  }
}
