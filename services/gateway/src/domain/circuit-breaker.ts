/**
 * A circuit breaker for one upstream, pure: the clock is injected and nothing here does I/O.
 *
 *   closed ──(N consecutive failures)──► open ──(openMs elapsed, next request)──► half_open
 *     ▲                                   ▲                                          │
 *     └──────────(probe succeeds)─────────┼───────────(probe fails)──────────────────┘
 *
 * Every admitted request holds a ticket naming the generation (one per state entered) it
 * was admitted in. An outcome counts only for the generation still current, so a slow
 * request admitted before the circuit opened cannot close it, nor count twice later.
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** success: the upstream answered below 500; failure: no answer, a timeout or a 5xx. */
export type Outcome = 'success' | 'failure' | 'abandoned';

export interface Ticket {
  readonly generation: number;
}

export type Admission = { admitted: true; ticket: Ticket } | { admitted: false; retryAfterMs: number };

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (≥ 1). */
  failureThreshold: number;
  /** How long the circuit stays open before one probe is let through. */
  openMs: number;
  now: () => number;
}

/** While a probe is out, nobody knows when the next one will be: callers are told to wait this long. */
export const probePendingRetryAfterMs = 1_000;

export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #generation = 0;
  #failures = 0;
  #openedAt = 0;
  #probeOut = false;

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new RangeError('failureThreshold must be a positive integer');
    }
    if (!(options.openMs > 0)) throw new RangeError('openMs must be positive');
  }

  get state(): CircuitState {
    return this.#state;
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

  /**
   * Reports how an admitted request ended. `abandoned` (the client left, its body was too
   * large) says nothing about the upstream; it only frees the probe slot.
   */
  record(ticket: Ticket, outcome: Outcome): void {
    if (ticket.generation !== this.#generation) return;
    if (this.#state === 'half_open') {
      this.#probeOut = false;
      if (outcome === 'success') this.#enter('closed');
      else if (outcome === 'failure') this.#open();
      return;
    }
    // Only closed remains: nobody is admitted while open.
    if (outcome === 'success') this.#failures = 0;
    else if (outcome === 'failure' && ++this.#failures >= this.options.failureThreshold) this.#open();
  }

  #open(): void {
    this.#enter('open');
    this.#openedAt = this.options.now();
  }

  #enter(state: CircuitState): void {
    this.#state = state;
    this.#generation += 1;
    this.#failures = 0;
    this.#probeOut = false;
  }
}
