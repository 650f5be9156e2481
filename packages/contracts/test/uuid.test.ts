import t from 'tap';
import { uuidv7 } from '../src/index.js';

const shape = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const millisOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

t.test('ids made in one tight loop are unique, well formed and strictly increasing', async (t) => {
  const ids = Array.from({ length: 20_000 }, () => uuidv7());
  t.equal(new Set(ids).size, ids.length, 'no two alike');
  t.ok(ids.every((id) => shape.test(id)), 'version 7, RFC 9562 variant');
  t.ok(ids.every((id, i) => i === 0 || ids[i - 1]! < id), 'each sorts after the one before');
});

t.test('within one millisecond the counter orders ids, and moves the time on when it runs out', async (t) => {
  const now = Date.now() + 60_000;
  const ids = Array.from({ length: 5_000 }, () => uuidv7(now));
  t.ok(ids.every((id, i) => i === 0 || ids[i - 1]! < id), 'ordered past the 12-bit counter');
  t.equal(millisOf(ids[0]!), now, 'the first carries the given time');
  t.ok(millisOf(ids.at(-1)!) > now, 'an exhausted counter borrows the next millisecond');
});

t.test('a clock that steps back does not break the order', async (t) => {
  const before = uuidv7(Date.now() + 120_000);
  const after = uuidv7(Date.now() - 3_600_000);
  t.ok(before < after);
});
