import t from 'tap';
import { prepareAhead, saturate } from '../src/index.js';

t.test('prepareAhead makes every item once, in order, never more than a batch at a time', async (t) => {
  let inFlight = 0;
  let most = 0;
  const items = await prepareAhead(
    10,
    async (i) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await Promise.resolve();
      inFlight -= 1;
      return `proof-${i}`;
    },
    4,
  );
  t.same(items, Array.from({ length: 10 }, (_, i) => `proof-${i}`));
  t.equal(most, 4);
  t.same(await prepareAhead(0, async () => 'never'), []);
  await t.rejects(prepareAhead(-1, async () => 'x'), /count/);
  await t.rejects(prepareAhead(1, async () => 'x', 0), /batch/);
});

t.test('saturate uses each item once with at most `clients` in flight, and says when it ran out', async (t) => {
  const used: number[] = [];
  let inFlight = 0;
  let most = 0;
  const result = await saturate(Array.from({ length: 50 }, (_, i) => i), 60_000, { clients: 3, timed: true }, async (item, i) => {
    t.equal(item, i);
    inFlight += 1;
    most = Math.max(most, inFlight);
    await new Promise<void>((resolve) => setImmediate(resolve));
    inFlight -= 1;
    used.push(item);
  });
  t.same([...used].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  t.equal(most, 3);
  t.equal(result.requests, 50);
  t.ok(result.ranOut, 'the items ran out long before the minute');
  t.equal(result.latenciesMs?.length, 50);
  t.ok(result.rate > 0);
});

t.test('saturate stops when the time is up, with items left over', async (t) => {
  const items = Array.from({ length: 1_000_000 }, (_, i) => i);
  const result = await saturate(items, 30, { clients: 2 }, () => new Promise<void>((resolve) => setImmediate(resolve)));
  t.ok(result.requests > 0 && result.requests < items.length);
  t.notOk(result.ranOut);
  t.equal(result.latenciesMs, undefined);
  t.ok(result.seconds >= 0.03);
});
