import { availableParallelism } from 'node:os';
import type { PasswordHasher } from '../application/ports.js';
import { identityErrors } from '../domain/errors.js';

export interface HashingSlotsOptions {
  /** Hashes running at once. */
  slots: number;
  /** Hashes waiting for a slot; one more answers 503 at once rather than queueing without end. */
  waitingMax: number;
}

/**
 * argon2id runs in libuv's thread pool, four at a time by default, and each hash walks 19 MiB
 * of memory. More at once than there are cores only time-slices them, each evicting the
 * others' blocks from the caches: on the 2-core bench machine a login's verify cost 8.4 ms of
 * CPU four wide and 7.1 ms two wide (median of three runs each), CPU the rest of every login
 * needs too. So at most `slots` hashes run at once, the others wait their turn in arrival
 * order, and the thread pool keeps threads for its other work (files, DNS). A login naming no
 * account waits in the same line as any other, so the wait tells nothing either.
 */
export class HashingSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: HashingSlotsOptions) {
    if (!Number.isInteger(options.slots) || options.slots < 1) throw new RangeError('slots must be a positive integer');
  }

  /** The hasher whose every hash and verify takes a slot first. */
  wrap(hasher: PasswordHasher): PasswordHasher {
    return {
      hash: (password) => this.run(() => hasher.hash(password)),
      verify: (storedHash, password) => this.run(() => hasher.verify(storedHash, password)),
      dummyVerify: (password) => this.run(() => hasher.dummyVerify(password)),
    };
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    await this.take();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private take(): Promise<void> {
    if (this.running < this.options.slots) {
      this.running += 1;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.options.waitingMax) return Promise.reject(identityErrors.busy(1));
    // The slot passes straight from the releasing hash to the first in line: `running` stays.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}

/** Hashes waiting at most: a few seconds of logins at the rate two cores verify. */
const waitingMax = 1_000;
let shared: HashingSlots | undefined;

/** One line per process, as the cores are the process's: every identity instance in it (tests open many) shares it. */
export function sharedHashingSlots(): HashingSlots {
  shared ??= new HashingSlots({ slots: availableParallelism(), waitingMax });
  return shared;
}
