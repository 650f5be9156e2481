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
 * change) goes before every hash that has not started yet, and new hashes may hold at most
 * `width - 1` places: one is always left to checks, so a flood of registrations never makes a
 * sign-in wait for a hash to finish. At most `width` jobs are in the pool. On a machine with
 * fewer cores than places (2 here, 4 places) hashes alone still keep every core busy; the
 * CPU per hash is unchanged, only the order and the places are ours. That is why the running
 * service makes its new hashes elsewhere, on its lower-priority password threads
 * (password-check-pool.ts); the hashes that still come here are the CLI's and start-up's.
 */
export class Argon2Gate {
  private readonly inPool: Record<Argon2Priority, number> = { check: 0, hash: 0 };
  private readonly waiting: Record<Argon2Priority, Array<() => void>> = { check: [], hash: [] };
  private readonly hashPlaces: number;

  constructor(private readonly options: Argon2GateOptions) {
    this.hashPlaces = Math.max(1, options.width - 1);
  }

  async run<T>(priority: Argon2Priority, job: () => Promise<T>): Promise<T> {
    if (this.hasPlaceFor(priority)) this.inPool[priority] += 1;
    else await this.turn(priority); // admitWaiting counted it in when it gave the place
    try {
      return await job();
    } finally {
      this.inPool[priority] -= 1;
      this.admitWaiting();
    }
  }

  /** Jobs waiting for a place, for metrics and tests. */
  get queued(): number {
    return this.waiting.check.length + this.waiting.hash.length;
  }

  private hasPlaceFor(priority: Argon2Priority): boolean {
    if (this.inPool.check + this.inPool.hash >= this.options.width) return false;
    return priority === 'check' || this.inPool.hash < this.hashPlaces;
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

  /** Gives free places to waiting checks first, then to waiting hashes while they may take one. */
  private admitWaiting(): void {
    for (const priority of ['check', 'hash'] as const) {
      const queue = this.waiting[priority];
      while (queue.length > 0 && this.hasPlaceFor(priority)) {
        this.inPool[priority] += 1;
        queue.shift()!();
      }
    }
  }
}
