import { randomUUID } from 'node:crypto';
import t from 'tap';
import { LruCache } from '../src/index.js';

t.test('a flood of one-off keys never evicts an entry that keeps being used', async (t) => {
  const cache = new LruCache<string, string>(100);
  cache.set('hot', 'device key in use');
  for (let i = 0; i < 10_000; i += 1) {
    cache.set(randomUUID(), 'flood');
    if (i % 50 === 0) t.equal(cache.get('hot'), 'device key in use', `still cached after ${i} flood entries`);
  }
  t.equal(cache.get('hot'), 'device key in use');
  t.equal(cache.size, 100, 'bounded');
});

t.test('the least recently used entry goes first', async (t) => {
  const cache = new LruCache<string, number>(3);
  cache.set('a', 1);
  cache.set('b', 2);
  cache.set('c', 3);
  cache.get('a');
  cache.set('d', 4);
  t.notOk(cache.has('b'), 'b was the coldest');
  t.same(['a', 'c', 'd'].map((key) => cache.get(key)), [1, 3, 4]);
  cache.set('c', 30);
  t.equal(cache.size, 3, 'replacing a value does not grow the cache');
  t.ok(cache.delete('c'));
  t.equal(cache.get('c'), undefined);
  t.throws(() => new LruCache(0), RangeError);
});
