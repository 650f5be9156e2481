// What the out-of-process benches' load generators share: the per-request work that is not
// under test (signing DPoP proofs) is done ahead of a measured window, and the window itself
// is `clients` loops taking the next prepared request, so the generator's CPU in the window is
// the HTTP client's alone, as pgbench's is its libpq's.
import { performance } from 'node:perf_hooks';

/** Signed at once: enough to keep the signer busy, few enough to bound the promises in flight. */
const defaultSignBatch = 64;

/** `count` items made by `make(i)`, `batch` at a time, in order. */
export async function prepareAhead<T>(count: number, make: (i: number) => Promise<T>, batch = defaultSignBatch): Promise<T[]> {
  if (!Number.isInteger(count) || count < 0) throw new Error(`prepareAhead: count must be a whole number, got ${count}`);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`prepareAhead: batch must be at least 1, got ${batch}`);
  const items: T[] = [];
  while (items.length < count) {
    const first = items.length;
    const size = Math.min(batch, count - first);
    items.push(...(await Promise.all(Array.from({ length: size }, (_, j) => make(first + j)))));
  }
  return items;
}

export interface Saturation {
  requests: number;
  seconds: number;
  rate: number;
  /** The items ran out before the time did: size the next window bigger. */
  ranOut: boolean;
  /** Each request's duration, in completion order, when asked for. */
  latenciesMs?: number[];
}

export interface SaturateOptions {
  clients: number;
  /** Record every request's duration (two clock reads a request). */
  timed?: boolean;
}

/** `clients` loops, each taking the next unused item until `ms` have passed or the items run out. */
export async function saturate<T>(items: readonly T[], ms: number, options: SaturateOptions, task: (item: T, i: number) => Promise<void>): Promise<Saturation> {
  const latenciesMs: number[] | undefined = options.timed ? [] : undefined;
  let next = 0;
  let done = 0;
  const started = performance.now();
  const end = started + ms;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (next < items.length && performance.now() < end) {
        const i = next++;
        const t0 = latenciesMs ? performance.now() : 0;
        await task(items[i]!, i);
        if (latenciesMs) latenciesMs.push(performance.now() - t0);
        done += 1;
      }
    }),
  );
  const finished = performance.now();
  const seconds = (finished - started) / 1000;
  return { requests: done, seconds, rate: done / seconds, ranOut: next >= items.length && finished < end, ...(latenciesMs ? { latenciesMs } : {}) };
}
