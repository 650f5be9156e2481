/** Anything that reports settled outcomes to listeners, e.g. @elcorp/messaging's MessagingRuntime. */
export interface SettlementSource<O> {
  onSettled(listener: (outcome: O) => void): () => void;
}

export interface SettledOptions {
  /** How many matching outcomes to wait for; 1 by default. */
  count?: number;
  /** Rejects after this long; 10 s by default. */
  timeoutMs?: number;
}

/**
 * Resolves with the first `count` outcomes matching `predicate` that `source` settles from
 * now on. Call it before causing the event (publishing, requesting), then await it, so an
 * outcome settled in between is not missed:
 *
 *     const applied = settled(runtime, (o) => o.kind === 'applied' && o.event.id === id);
 *     await publish(event);
 *     await applied;
 */
export function settled<O>(source: SettlementSource<O>, predicate: (outcome: O) => boolean, options: SettledOptions = {}): Promise<O[]> {
  const count = options.count ?? 1;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const matched: O[] = [];
  return new Promise<O[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`${matched.length} of ${count} expected outcomes settled within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = source.onSettled((outcome) => {
      if (!predicate(outcome)) return;
      matched.push(outcome);
      if (matched.length < count) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(matched);
    });
  });
}
