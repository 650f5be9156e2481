// Issue 10: registering with a long varied password blocked identity's event loop for about
// a second per request (zxcvbn on the main thread), and an honest login waited for all of it.
import { randomInt } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import t from 'tap';
import { newUser, openIdentity, signedInUser, strongPassword } from './client.js';

const registrations = 8;
/**
 * Generous: a check on the loop stalls it for its whole estimate (a second or more for these
 * passwords before the change); off the loop, the worst pause is a GC or the machine's own
 * scheduling, far below this.
 */
const loopDelayBoundMs = 500;

/** 128 characters of words, digits and symbols that read as l33t letters: the estimator's worst case. */
function longVariedPassword(): string {
  const words = ['correct', 'horse', 'battery', 'staple', 'dragon', 'monkey', 'sunshine', 'shadow', 'master', 'welcome'];
  let password = '';
  while (password.length < 128) password += `${words[randomInt(words.length)]}${randomInt(1000)}${'!@#$%^&*'[randomInt(8)]}`;
  return password.slice(0, 128);
}

t.test('an honest login completes while registrations with long varied passwords run, and the loop never stalls', async (t) => {
  // A deadline far above any check here: this test is about the loop, not the deadline.
  const identity = await openIdentity(t, { PASSWORD_CHECK_TIMEOUT_MS: '60000' });
  const { body, device } = await signedInUser(identity);

  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const pending = Array.from({ length: registrations }, (_, i) =>
    identity.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      // One of them names an email already taken: it used to pay the estimate all the same.
      payload: i === 0 ? { ...newUser(), email: body.email, password: longVariedPassword() } : newUser({ password: longVariedPassword() }),
    }),
  );
  const session = await device.login(body.email, strongPassword);
  const answers = await Promise.all(pending);
  delay.disable();

  t.ok(session.accessToken, 'the honest login succeeded');
  t.equal(answers[0]!.statusCode, 409, 'the taken email');
  t.ok(answers.slice(1).every((a) => a.statusCode === 201 || a.statusCode === 422), 'every other registration was judged', { statuses: answers.map((a) => a.statusCode) });
  const maxDelayMs = delay.max / 1e6;
  t.ok(maxDelayMs < loopDelayBoundMs, `the event loop never waited ${loopDelayBoundMs} ms (longest: ${maxDelayMs.toFixed(0)} ms)`);
});

t.test('argon2 runs off the loop: timers fire while a hash is computed', async (t) => {
  const { hash } = await import('../../src/infrastructure/password-hasher.js');
  let ticks = 0;
  const ticker = setInterval(() => (ticks += 1), 1);
  await hash(strongPassword);
  clearInterval(ticker);
  t.ok(ticks > 0, `the loop turned ${ticks} time(s) during one hash`);
});

t.test('registration answers 503 with Retry-After when the password checks are saturated', async (t) => {
  const identity = await openIdentity(t, { PASSWORD_CHECK_QUEUE_MAX: '1', PASSWORD_CHECK_TIMEOUT_MS: '60000' });
  const answers = await Promise.all(Array.from({ length: 6 }, () => identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: newUser({ password: longVariedPassword() }) })));
  const refused = answers.filter((a) => a.statusCode === 503);
  t.ok(refused.length > 0, 'some registrations are refused rather than queued', { statuses: answers.map((a) => a.statusCode) });
  for (const answer of refused) {
    t.equal(answer.json().code, 'service_unavailable');
    t.ok(Number(answer.headers['retry-after']) >= 1, 'with Retry-After');
  }
});
