// The pool that keeps password checks off the event loop: bounded queue, deadline, recovery.
import { randomInt } from 'node:crypto';
import t from 'tap';
import { PasswordCheckPool } from '../../src/infrastructure/password-check-pool.js';

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
