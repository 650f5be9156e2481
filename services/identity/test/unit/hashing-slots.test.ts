import t from 'tap';
import type { PasswordHasher } from '../../src/application/ports.js';
import { IdentityError } from '../../src/domain/errors.js';
import { HashingSlots } from '../../src/infrastructure/hashing-slots.js';
import * as argon2 from '../../src/infrastructure/password-hasher.js';

/** A hasher whose verifications end when the test says so, recording how many run at once. */
function heldHasher() {
  const started: string[] = [];
  const pending = new Map<string, { resolve: (ok: boolean) => void; reject: (err: Error) => void }>();
  let running = 0;
  let mostAtOnce = 0;
  const hold = (name: string) =>
    new Promise<boolean>((resolve, reject) => {
      started.push(name);
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      const done = () => (running -= 1);
      pending.set(name, { resolve: (ok) => (done(), resolve(ok)), reject: (err) => (done(), reject(err)) });
    });
  const hasher: PasswordHasher = {
    hash: (password) => hold(password).then(() => `hash of ${password}`),
    verify: (_stored, password) => hold(password),
    dummyVerify: (password) => hold(password).then(() => false as const),
  };
  return { hasher, started, pending, mostAtOnce: () => mostAtOnce };
}

// Each step lets every settled promise run its continuations before the test looks.
const settle = () => new Promise((resolve) => setImmediate(resolve));

t.test('at most `slots` hashes run at once; the others start in arrival order as slots free', async (t) => {
  const held = heldHasher();
  const hasher = new HashingSlots({ slots: 2, waitingMax: 10 }).wrap(held.hasher);
  // Observed from the start: the first one is made to fail below.
  const answers = Promise.allSettled([hasher.verify('stored', 'a'), hasher.dummyVerify('b'), hasher.hash('c'), hasher.verify('stored', 'd')]);
  await settle();
  t.same(held.started, ['a', 'b'], 'two run, two wait');
  held.pending.get('b')!.resolve(false);
  await settle();
  t.same(held.started, ['a', 'b', 'c'], 'the first waiting takes the freed slot');
  held.pending.get('a')!.reject(new Error('out of memory'));
  await settle();
  t.same(held.started, ['a', 'b', 'c', 'd'], 'a hash that fails frees its slot too');
  held.pending.get('c')!.resolve(true);
  held.pending.get('d')!.resolve(true);
  const results = await answers;
  t.same(results.map((r) => r.status), ['rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
  t.equal(held.mostAtOnce(), 2);
});

t.test('beyond `waitingMax` waiting, a hash answers busy (503) at once, and the line goes on', async (t) => {
  const held = heldHasher();
  const hasher = new HashingSlots({ slots: 1, waitingMax: 1 }).wrap(held.hasher);
  const running = hasher.verify('stored', 'a');
  const waiting = hasher.verify('stored', 'b');
  const refused = await hasher.verify('stored', 'c').catch((err: unknown) => err);
  t.ok(refused instanceof IdentityError && refused.code === 'identity.busy', 'identity.busy');
  held.pending.get('a')!.resolve(true);
  await settle();
  held.pending.get('b')!.resolve(false);
  t.same(await Promise.all([running, waiting]), [true, false]);
  t.same(held.started, ['a', 'b'], 'the refused hash never ran');
});

t.test('wrapped argon2id answers as argon2id does', async (t) => {
  const hasher = new HashingSlots({ slots: 1, waitingMax: 10 }).wrap(argon2);
  const stored = await hasher.hash('violet tractor humming seventeen lanterns');
  t.same(await Promise.all([hasher.verify(stored, 'violet tractor humming seventeen lanterns'), hasher.verify(stored, 'wrong'), hasher.dummyVerify('x')]), [true, false, false]);
});

t.test('slots must be a positive integer', async (t) => {
  t.throws(() => new HashingSlots({ slots: 0, waitingMax: 1 }), RangeError);
});
