import { AppError } from '@elcorp/kit';

/**
 * Whose argon2 job waits least: a password checked on a device that has signed in to the
 * account before (or by a signed-in session), then any other check (a new device, an email
 * nobody registered), then a new hash.
 */
export type Argon2Priority = 'known-device' | 'check' | 'hash';

/** The order in which waiting jobs are given a free place. */
export const argon2Priorities: readonly Argon2Priority[] = ['known-device', 'check', 'hash'];

export interface Argon2GateOptions {
  /** Jobs handed to libuv's thread pool at once: its width, so the pool's own queue stays empty. */
  width: number;
  /** Jobs of one priority waiting their turn, beyond which another is refused with 503 and Retry-After. */
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
 *
 * Checks on a known device go before all other checks, and queue on their own. Anyone can
 * make identity check passwords, an email nobody registered included (the dummy check costs
 * what a real one does), so a flood of sign-ins with made-up emails could otherwise queue
 * every place and then be refused 503: an owner signing in on the phone they always use would
 * wait behind it or be turned away. Such a flood cannot fill the known-device lane: a known
 * device's wrong passwords lock its own count after five.
 */
export class Argon2Gate {
  private readonly inPool: Record<Argon2Priority, number> = { 'known-device': 0, check: 0, hash: 0 };
  private readonly waiting: Record<Argon2Priority, Array<() => void>> = { 'known-device': [], check: [], hash: [] };
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

  /** Jobs waiting for a place, for tests. */
  get queued(): number {
    return argon2Priorities.reduce((sum, priority) => sum + this.waitingFor(priority), 0);
  }

  /** Jobs of one priority waiting for a place, for metrics. */
  waitingFor(priority: Argon2Priority): number {
    return this.waiting[priority].length;
  }

  private hasPlaceFor(priority: Argon2Priority): boolean {
    if (this.inPool['known-device'] + this.inPool.check + this.inPool.hash >= this.options.width) return false;
    return priority !== 'hash' || this.inPool.hash < this.hashPlaces;
  }

  private turn(priority: Argon2Priority): Promise<void> {
    if (this.waiting[priority].length >= this.options.waitingMax) {
      return Promise.reject(
        new AppError(503, 'service_unavailable', 'Service unavailable', {
          detail: 'too many password checks are waiting; retry later',
          headers: { 'retry-after': '1' },
        }),
      );
    }
    return new Promise((resolve) => this.waiting[priority].push(resolve));
  }

  /** Gives free places to waiting checks first (known devices' first), then to waiting hashes while they may take one. */
  private admitWaiting(): void {
    for (const priority of argon2Priorities) {
      const queue = this.waiting[priority];
      while (queue.length > 0 && this.hasPlaceFor(priority)) {
        this.inPool[priority] += 1;
        queue.shift()!();
      }
    }
  }
}
