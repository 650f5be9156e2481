// The pool that keeps password checks and new hashes off the event loop: bounded queue, deadline, recovery, priority.
import { randomInt } from 'node:crypto';
import { getPriority } from 'node:os';
import t from 'tap';
import { PasswordCheckPool } from '../../src/infrastructure/password-check-pool.js';
import { needsRehash, verify } from '../../src/infrastructure/password-hasher.js';
import { waitingWorkNiceness } from '../../src/infrastructure/thread-priority.js';

const strongPassword = 'correct horse battery staple 42';

/** 128 characters of words, digits and symbols that read as l33t letters: the estimator's worst case. */
function longVariedPassword(): string {
  const words = ['correct', 'horse', 'battery', 'staple', 'dragon', 'monkey', 'sunshine', 'shadow', 'master', 'welcome'];
  let password = '';
  while (password.length < 128) password += `${words[randomInt(words.length)]}${randomInt(1000)}${'!@#$%^&*'[randomInt(8)]}`;
  return password.slice(0, 128);
}

t.test('a saturated pool answers 503 at once instead of queueing; a check past its deadline answers 503', async (t) => {
  const pool = new PasswordCheckPool({ threads: 1, queueMax: 1, timeoutMs: 60_000, retryAfterSeconds: 3 });
  t.teardown(() => pool.close());
  await pool.ready();
  const context = { email: 'ana@example.na', fullName: 'Ana Nangolo' };
  const running = pool.check(longVariedPassword(), context);
  const queued = pool.check(longVariedPassword(), context);
  await t.rejects(pool.check(strongPassword, context), { code: 'identity.busy', details: { retryAfterSeconds: 3 } }, 'the third has no place');
  t.ok(Array.isArray(await running) && Array.isArray(await queued), 'the two admitted checks are answered');

  // A check that never ends (a worker stuck on it) answers 503 at its deadline; its thread is
  // replaced, and the replacement answers the next check.
  const hanging = new PasswordCheckPool({ threads: 1, queueMax: 4, timeoutMs: 2_000, workerUrl: new URL('../fixtures/hanging-password-worker.mjs', import.meta.url) });
  t.teardown(() => hanging.close());
  await hanging.ready();
  await t.rejects(hanging.check('hang', context), { code: 'identity.busy' }, 'past its deadline');
  await hanging.ready();
  t.same(await hanging.check(strongPassword, context), [], 'the pool recovers: a replaced thread answers the next check');
});

t.test('new hashes are made on the pool threads, below the priority of sign-ins, with today\'s parameters', async (t) => {
  const pool = new PasswordCheckPool({ threads: 2, queueMax: 4, timeoutMs: 60_000 });
  t.teardown(() => pool.close());
  await pool.ready();

  const made = await Promise.all([pool.hash(strongPassword), pool.hash(strongPassword)]);
  t.not(made[0], made[1], 'each hash has a salt of its own');
  for (const stored of made) {
    t.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, 'argon2id with the current parameters');
    t.equal(needsRehash(stored), false, 'nothing to rehash at the next sign-in');
    t.equal(await verify(stored, strongPassword), true, 'the sign-in path (libuv) accepts the password');
    t.equal(await verify(stored, `${strongPassword}!`), false, 'and refuses another');
  }
  // NFC as the policy counts it: "é" typed decomposed signs in to a password set precomposed.
  t.equal(await verify(await pool.hash('caf\u00e9 horse battery staple 42'), 'cafe\u0301 horse battery staple 42'), true, 'normalised before hashing');

  if (process.platform === 'linux') {
    t.equal(pool.loweredThreadIds.length, 2, 'every thread lowered its priority');
    for (const threadId of pool.loweredThreadIds) t.equal(getPriority(threadId), waitingWorkNiceness, `thread ${threadId} runs at nice ${waitingWorkNiceness}`);
    t.equal(getPriority(), 0, 'the event loop keeps its priority');
  }
});
