/**
 * A circuit breaker for one upstream, pure: the clock is injected and nothing here does I/O.
 *
 *   closed ──(failure ratio ≥ R over the last W ms, ≥ M requests)──► open
 *     ▲                                                                │ (openMs elapsed, next request)
 *     │                                                                ▼
 *     └───────────────(probe succeeds)──────────── half_open ──(probe fails)──► open
 *
 * A ratio over a rolling window with a minimum volume, not a run of consecutive failures:
 * a handful of failures among many answers is noise, and a quiet upstream is not judged on
 * two requests. The window is kept as buckets of W/10 ms so memory is constant.
 *
 * Every admitted request holds a ticket naming the generation (one per state entered) it
 * was admitted in. An outcome counts only for the generation still current, so a slow
 * request admitted before the circuit opened cannot close it, nor count twice later.
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * success: the upstream answered; failure: an upstream fault (no connection, no answer in
 * time, 502/503/504 of its own); abandoned: nothing learnt about the upstream (the client
 * left, sent too much, or was too slow sending its body).
 */
export type Outcome = 'success' | 'failure' | 'abandoned';

export interface Ticket {
  readonly generation: number;
}

export type Admission = { admitted: true; ticket: Ticket } | { admitted: false; retryAfterMs: number };

export interface CircuitBreakerOptions {
  /** Share of failed requests in the window that opens the circuit, in (0, 1]. */
  failureRatio: number;
  /** Fewest requests in the window before the ratio is judged at all (≥ 1). */
  minimumRequests: number;
  /** Length of the rolling window. */
  windowMs: number;
  /** How long the circuit stays open before one probe is let through. */
  openMs: number;
  now: () => number;
}

/** While a probe is out, nobody knows when the next one will be: callers are told to wait this long. */
export const probePendingRetryAfterMs = 1_000;

const bucketsPerWindow = 10;

interface Bucket {
  /** Start of the bucket's slice of time, a multiple of the bucket length. */
  startMs: number;
  successes: number;
  failures: number;
}

export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #generation = 0;
  #buckets: Bucket[] = [];
  #openedAt = 0;
  #probeOut = false;
  readonly #bucketMs: number;

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!(options.failureRatio > 0 && options.failureRatio <= 1)) throw new RangeError('failureRatio must be in (0, 1]');
    if (!Number.isInteger(options.minimumRequests) || options.minimumRequests < 1) {
      throw new RangeError('minimumRequests must be a positive integer');
    }
    if (!(options.windowMs > 0)) throw new RangeError('windowMs must be positive');
    if (!(options.openMs > 0)) throw new RangeError('openMs must be positive');
    this.#bucketMs = Math.max(1, Math.ceil(options.windowMs / bucketsPerWindow));
  }

  get state(): CircuitState {
    return this.#state;
  }

  /** Successes and failures counted in the current window (closed state only). */
  get window(): { successes: number; failures: number } {
    this.#expire();
    let successes = 0;
    let failures = 0;
    for (const bucket of this.#buckets) {
      successes += bucket.successes;
      failures += bucket.failures;
    }
    return { successes, failures };
  }

  /** Whether a request may go to the upstream now; a refusal says how long to wait. */
  admit(): Admission {
    if (this.#state === 'open' && this.options.now() >= this.#openedAt + this.options.openMs) this.#enter('half_open');
    const waitMs = this.retryAfterMs();
    if (waitMs > 0) return { admitted: false, retryAfterMs: waitMs };
    if (this.#state === 'half_open') this.#probeOut = true;
    return { admitted: true, ticket: { generation: this.#generation } };
  }

  /** How long until a request could be admitted (0: now), without changing anything. */
  retryAfterMs(): number {
    if (this.#state === 'open') return Math.max(0, this.#openedAt + this.options.openMs - this.options.now());
    if (this.#state === 'half_open' && this.#probeOut) return probePendingRetryAfterMs;
    return 0;
  }

  /** Reports how an admitted request ended; `abandoned` only frees the probe slot. */
  record(ticket: Ticket, outcome: Outcome): void {
    if (ticket.generation !== this.#generation) return;
    if (this.#state === 'half_open') {
      this.#probeOut = false;
      if (outcome === 'success') this.#enter('closed');
      else if (outcome === 'failure') this.#open();
      return;
    }
    // Only closed remains: nobody is admitted while open.
    if (outcome === 'abandoned') return;
    const bucket = this.#currentBucket();
    if (outcome === 'success') {
      // A success never opens the circuit: no need to sum the window (every proxied request records one).
      bucket.successes += 1;
      return;
    }
    bucket.failures += 1;
    const { successes, failures } = this.window;
    const total = successes + failures;
    if (total >= this.options.minimumRequests && failures >= this.options.failureRatio * total) this.#open();
  }

  #currentBucket(): Bucket {
    this.#expire();
    const startMs = Math.floor(this.options.now() / this.#bucketMs) * this.#bucketMs;
    const last = this.#buckets.at(-1);
    if (last?.startMs === startMs) return last;
    const bucket = { startMs, successes: 0, failures: 0 };
    this.#buckets.push(bucket);
    return bucket;
  }

  /** Drops buckets wholly older than the window (a clock going backwards drops nothing). */
  #expire(): void {
    const oldestKeptMs = this.options.now() - this.options.windowMs;
    while (this.#buckets.length > 0 && this.#buckets[0]!.startMs + this.#bucketMs <= oldestKeptMs) this.#buckets.shift();
    // Bounded whatever the clock does: never more buckets than a window holds (plus the current one).
    while (this.#buckets.length > bucketsPerWindow + 1) this.#buckets.shift();
  }

  #open(): void {
    this.#enter('open');
    this.#openedAt = this.options.now();
  }

  #enter(state: CircuitState): void {
    this.#state = state;
    this.#generation += 1;
    this.#buckets = [];
    this.#probeOut = false;
  }
}
