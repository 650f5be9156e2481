// Availability: anyone can make identity check a password, naming an email nobody registered
// included (the dummy check costs what a real one does). A flood of such sign-ins must not hold
// back the owner of an account signing in on a device they have used before.
import { signDpopProof } from '@elcorp/auth';
import { metricValue } from '@elcorp/testing';
import t from 'tap';
import { newUser, openIdentity, publicBaseUrl, signedInUser, strongPassword, type Identity } from './client.js';

/** identity_argon2_waiting of one priority, as an operator's scrape reads it. */
async function waiting(identity: Identity, priority: 'known-device' | 'check'): Promise<number> {
  return metricValue((await identity.app.inject('/metrics')).body, `identity_argon2_waiting{priority="${priority}"`) ?? 0;
}

t.test('the owner on a known device signs in ahead of a flood of made-up emails', async (t) => {
  const identity = await openIdentity(t);
  const { body, device: owner } = await signedInUser(identity);
  const strangers = await Promise.all(Array.from({ length: 96 }, () => identity.device()));
  // Signed now: this process's signing would queue on the same thread pool as the flood's
  // checks, which a real client on its own machine never does.
  const ownersProof = await signDpopProof(owner.key, { method: 'POST', url: `${publicBaseUrl}/api/v1/auth/login` });

  let finished = 0;
  const flood = strangers.map((stranger) =>
    stranger.call('POST', '/api/v1/auth/login', { body: { email: newUser().email, password: 'a made-up guess' } }).then((res) => {
      finished += 1;
      return res.statusCode;
    }),
  );
  // The strangers' checks queue on the pool (four run at once); the owner comes after them.
  let queued = 0;
  for (let polls = 0; polls < 400 && queued < 64; polls++) {
    queued = await waiting(identity, 'check');
    if (queued < 64) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  t.ok(queued >= 64, `the flood is queued: ${queued} checks waiting`);

  const finishedBefore = finished;
  const signedIn = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { dpop: ownersProof }, payload: { email: body.email, password: strongPassword } });
  const finishedMeanwhile = finished - finishedBefore;
  t.equal(signedIn.statusCode, 200, 'the owner signed in');
  // First come, first served the owner would wait for every check queued ahead of it. It still
  // waits for the checks running when it arrives, and for the database while the strangers'
  // failures are recorded.
  t.ok(finishedMeanwhile < queued / 3, `the owner waited for ${finishedMeanwhile} of the ${queued} checks queued ahead of it, not for all`);
  t.same(new Set(await Promise.all(flood)), new Set([401]), 'every stranger was refused, as before');
  t.equal(await waiting(identity, 'check'), 0);
});
