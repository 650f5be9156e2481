import t from 'tap';
import { CircuitBreaker, probePendingRetryAfterMs, type Admission, type CircuitState, type Outcome, type Ticket } from '../../src/domain/circuit-breaker.js';

const openMs = 10_000;

function breaker(failureThreshold = 3) {
  const clock = { nowMs: 1_000_000 };
  const circuit = new CircuitBreaker({ failureThreshold, openMs, now: () => clock.nowMs });
  return { circuit, clock };
}

function ticketOf(admission: Admission): Ticket {
  if (!admission.admitted) throw new Error(`refused, retry after ${admission.retryAfterMs} ms`);
  return admission.ticket;
}

function fail(circuit: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i += 1) circuit.record(ticketOf(circuit.admit()), 'failure');
}

t.test('closed lets everything through and opens after N consecutive failures', async (t) => {
  const { circuit } = breaker(3);
  t.equal(circuit.state, 'closed');
  fail(circuit, 2);
  t.equal(circuit.state, 'closed', 'two failures are not enough');
  circuit.record(ticketOf(circuit.admit()), 'success');
  fail(circuit, 2);
  t.equal(circuit.state, 'closed', 'a success in between resets the count');
  fail(circuit, 1);
  t.equal(circuit.state, 'open');
});

t.test('abandoned requests neither count as failures nor reset them', async (t) => {
  const { circuit } = breaker(2);
  fail(circuit, 1);
  circuit.record(ticketOf(circuit.admit()), 'abandoned');
  t.equal(circuit.state, 'closed');
  fail(circuit, 1);
  t.equal(circuit.state, 'open', 'the failure before the abandoned request still counted');
});

t.test('open refuses at once, saying how long until a probe', async (t) => {
  const { circuit, clock } = breaker(1);
  fail(circuit, 1);
  t.same(circuit.admit(), { admitted: false, retryAfterMs: openMs });
  clock.nowMs += 2_500;
  t.same(circuit.admit(), { admitted: false, retryAfterMs: openMs - 2_500 });
  clock.nowMs += openMs - 2_500 - 1;
  t.same(circuit.admit(), { admitted: false, retryAfterMs: 1 });
  t.equal(circuit.state, 'open');
});

t.test('half-open lets exactly one probe through; its success closes the circuit', async (t) => {
  const { circuit, clock } = breaker(2);
  fail(circuit, 2);
  clock.nowMs += openMs;
  const probe = circuit.admit();
  t.equal(probe.admitted, true);
  t.equal(circuit.state, 'half_open');
  t.same(circuit.admit(), { admitted: false, retryAfterMs: probePendingRetryAfterMs }, 'a second request waits for the probe');
  circuit.record(ticketOf(probe), 'success');
  t.equal(circuit.state, 'closed');
  fail(circuit, 1);
  t.equal(circuit.state, 'closed', 'the count starts afresh after closing');
  fail(circuit, 1);
  t.equal(circuit.state, 'open');
});

t.test('a failed probe opens the circuit for another full period', async (t) => {
  const { circuit, clock } = breaker(2);
  fail(circuit, 2);
  clock.nowMs += openMs + 5_000;
  circuit.record(ticketOf(circuit.admit()), 'failure');
  t.equal(circuit.state, 'open');
  t.same(circuit.admit(), { admitted: false, retryAfterMs: openMs }, 'measured from the probe failure, not the first opening');
});

t.test('an abandoned probe frees the slot without deciding', async (t) => {
  const { circuit, clock } = breaker(1);
  fail(circuit, 1);
  clock.nowMs += openMs;
  circuit.record(ticketOf(circuit.admit()), 'abandoned');
  t.equal(circuit.state, 'half_open');
  const next = circuit.admit();
  t.equal(next.admitted, true, 'the next request becomes the probe');
  circuit.record(ticketOf(next), 'success');
  t.equal(circuit.state, 'closed');
});

t.test('outcomes of requests admitted in an earlier state are ignored', async (t) => {
  const { circuit, clock } = breaker(2);
  const slow = ticketOf(circuit.admit());
  const slower = ticketOf(circuit.admit());
  fail(circuit, 2);
  t.equal(circuit.state, 'open');
  circuit.record(slow, 'success');
  t.equal(circuit.state, 'open', 'a late success does not close an open circuit');
  clock.nowMs += openMs;
  const probe = ticketOf(circuit.admit());
  circuit.record(slower, 'success');
  t.equal(circuit.state, 'half_open', 'nor decide a half-open one');
  t.equal(circuit.admit().admitted, false, 'and does not free the probe slot');
  circuit.record(probe, 'success');
  circuit.record(slow, 'failure');
  circuit.record(probe, 'failure');
  t.equal(circuit.state, 'closed', 'stale failures, even the probe reporting twice, do not count in the new period');
  fail(circuit, 1);
  t.equal(circuit.state, 'closed');
});

t.test('rejects thresholds that would make no sense', async (t) => {
  t.throws(() => new CircuitBreaker({ failureThreshold: 0, openMs, now: Date.now }), RangeError);
  t.throws(() => new CircuitBreaker({ failureThreshold: 1.5, openMs, now: Date.now }), RangeError);
  t.throws(() => new CircuitBreaker({ failureThreshold: 1, openMs: 0, now: Date.now }), RangeError);
});

/**
 * Every sequence of up to 8 steps over {admit, report the oldest outstanding ticket as each
 * outcome, let half the open period pass} against a small reference model of the rules, for
 * thresholds 1 and 2: the breaker must agree with the model on every state and admission.
 */
for (const threshold of [1, 2]) t.test(`exhaustively agrees with the reference model (threshold ${threshold})`, async (t) => {
  type Step = 'admit' | `report-${Outcome}` | 'wait';
  const steps: Step[] = ['admit', 'report-success', 'report-failure', 'report-abandoned', 'wait'];
  let sequences = 0;
  let disagreements = 0;

  const run = (sequence: Step[]) => {
    const { circuit, clock } = breaker(threshold);
    // The model: state, consecutive failures, when it opened, the probe slot, and the period
    // (state entered) each outstanding ticket was admitted in.
    const model = { state: 'closed' as CircuitState, failures: 0, openedAt: 0, probeOut: false, period: 0 };
    const outstanding: Array<{ ticket: Ticket; period: number }> = [];
    const enter = (next: CircuitState) => {
      Object.assign(model, { state: next, period: model.period + 1, failures: 0, probeOut: false });
      if (next === 'open') model.openedAt = clock.nowMs;
    };
    for (const step of sequence) {
      if (step === 'wait') {
        clock.nowMs += openMs / 2;
      } else if (step === 'admit') {
        if (model.state === 'open' && clock.nowMs - model.openedAt >= openMs) enter('half_open');
        const expected = model.state === 'closed' || (model.state === 'half_open' && !model.probeOut);
        const got = circuit.admit();
        if (got.admitted !== expected) return false;
        if (got.admitted) {
          if (model.state === 'half_open') model.probeOut = true;
          outstanding.push({ ticket: got.ticket, period: model.period });
        } else {
          const wait = model.state === 'open' ? model.openedAt + openMs - clock.nowMs : probePendingRetryAfterMs;
          if (got.retryAfterMs !== wait) return false;
        }
      } else {
        const held = outstanding.shift();
        if (!held) continue;
        const outcome = step.slice('report-'.length) as Outcome;
        circuit.record(held.ticket, outcome);
        if (held.period === model.period) {
          if (model.state === 'half_open') {
            model.probeOut = false;
            if (outcome === 'success') enter('closed');
            if (outcome === 'failure') enter('open');
          } else if (outcome === 'success') model.failures = 0;
          else if (outcome === 'failure' && ++model.failures >= threshold) enter('open');
        }
      }
      if (circuit.state !== model.state) return false;
    }
    return true;
  };

  const extend = (prefix: Step[]) => {
    sequences += 1;
    if (!run(prefix)) disagreements += 1;
    if (prefix.length === 8) return;
    for (const step of steps) extend([...prefix, step]);
  };
  extend([]);
  t.equal(sequences, (5 ** 9 - 1) / 4, 'every sequence of length 0..8 was run');
  t.equal(disagreements, 0);
});

t.test('retryAfterMs reports the wait without admitting anyone', async (t) => {
  const { circuit, clock } = breaker(1);
  t.equal(circuit.retryAfterMs(), 0, 'closed: now');
  fail(circuit, 1);
  clock.nowMs += 4_000;
  t.equal(circuit.retryAfterMs(), openMs - 4_000);
  clock.nowMs += openMs;
  t.equal(circuit.retryAfterMs(), 0, 'the period is over: the next request is the probe');
  t.equal(circuit.state, 'open', 'asking changed nothing');
  const probe = ticketOf(circuit.admit());
  t.equal(circuit.retryAfterMs(), probePendingRetryAfterMs);
  circuit.record(probe, 'success');
  t.equal(circuit.retryAfterMs(), 0);
});
