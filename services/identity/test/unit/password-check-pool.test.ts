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

  const hurried = new PasswordCheckPool({ threads: 1, queueMax: 4, timeoutMs: 100 });
  t.teardown(() => hurried.close());
  await hurried.ready();
  // Enough long checks that the later ones cannot start within 100 ms of arriving.
  const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => hurried.check(longVariedPassword(), context)));
  t.ok(outcomes.some((o) => o.status === 'rejected' && (o.reason as { code?: string }).code === 'identity.busy'), 'late checks answer busy');
  t.same(await hurried.check(strongPassword, { email: 'x@example.na', fullName: 'X' }).catch((err: { code?: string }) => err.code), [], 'the pool recovers: a replaced thread answers the next check');
});

