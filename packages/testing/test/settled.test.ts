import t from 'tap';
import { settled } from '../src/index.js';

/** A source like a messaging runtime: listeners see each outcome as it settles. */
function source() {
  const listeners = new Set<(n: number) => void>();
  return {
    onSettled(listener: (n: number) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(n: number) {
      for (const listener of listeners) listener(n);
    },
    listening: () => listeners.size,
  };
}

t.test('resolves with the matching outcomes once enough have settled, and stops listening', async (t) => {
  const s = source();
  const even = settled(s, (n) => n % 2 === 0, { count: 2 });
  for (const n of [1, 2, 3, 4, 6]) s.emit(n);
  t.same(await even, [2, 4]);
  t.equal(s.listening(), 0);
});

t.test('rejects naming how many settled when the time is up', async (t) => {
  const s = source();
  const waiting = settled(s, (n) => n > 10, { count: 2, timeoutMs: 20 });
  s.emit(11);
  await t.rejects(waiting, /1 of 2 expected outcomes settled within 20 ms/);
  t.equal(s.listening(), 0);
});
