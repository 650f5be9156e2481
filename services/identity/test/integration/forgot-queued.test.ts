// Issue 10: forgot-password answered ~5 ms slower for known emails (the reset mail was written
// inline). Now the request path only queues the request, the same work whatever the email.
import t from 'tap';
import type { Notifier } from '../../src/application/ports.js';
import { newUser, openIdentity, signedInUser } from './client.js';

type Sent = Parameters<Notifier['send']>[0];

/** A notifier that records each message and holds every send until released. */
function heldNotifier() {
  const sent: Sent[] = [];
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const waiting: Array<{ wanted: (m: Sent) => boolean; resolve: (m: Sent) => void }> = [];
  const notifier: Notifier = {
    async send(message) {
      sent.push(message);
      for (const w of waiting.filter((w) => w.wanted(message))) w.resolve(message);
      await released;
    },
  };
  const invoked = (wanted: (m: Sent) => boolean) =>
    new Promise<Sent>((resolve) => {
      const already = sent.find(wanted);
      if (already) resolve(already);
      else waiting.push({ wanted, resolve });
    });
  return { notifier, sent, release, invoked };
}

t.test('forgot answers known and unknown emails after the same work, before any message is sent', async (t) => {
  const held = heldNotifier();
  const identity = await openIdentity(t, {}, { notifier: held.notifier });
  const first = await signedInUser(identity);
  const second = await signedInUser(identity);
  const forgot = (email: string) => identity.app.inject({ method: 'POST', url: '/api/v1/auth/password/forgot', payload: { email } });
  const outbox = async () => Number((await identity.query<{ n: string }>('SELECT count(*) AS n FROM outbox'))[0]!.n);
  const resets = async () => Number((await identity.query<{ n: string }>('SELECT count(*) AS n FROM password_resets'))[0]!.n);

  // Delivery is one at a time per process: hold it on a first message.
  t.equal((await forgot(first.body.email)).statusCode, 202);
  await held.invoked((m) => m.to.email === first.body.email);
  const before = { outbox: await outbox(), resets: await resets() };

  const unknownEmail = newUser().email;
  const known = await forgot(second.body.email);
  const unknown = await forgot(unknownEmail);
  t.equal(known.statusCode, 202, 'a known email is answered while the notifier cannot send');
  t.equal(unknown.statusCode, 202);
  t.equal(unknown.body, known.body, 'with the same body');
  t.same(
    await identity.query('SELECT email_normalized FROM password_reset_requests ORDER BY id'),
    [{ email_normalized: second.body.email.toLowerCase() }, { email_normalized: unknownEmail.toLowerCase() }],
    'each request left exactly one queued row',
  );
  t.same({ outbox: await outbox(), resets: await resets() }, before, 'and nothing else: no token, no event until delivery');

  // A marker behind them: delivery takes requests in order, so its message means both were handled.
  t.equal((await forgot(first.body.email)).statusCode, 202);
  held.release();
  const message = await held.invoked((m) => m.to.email === second.body.email);
  t.equal(message.template, 'password_reset', 'delivery mails the known email after the answer');
  await held.invoked((m) => m.to.email === first.body.email && m !== held.sent[0]);
  t.notOk(held.sent.some((m) => m.to.email === unknownEmail), 'the unknown email got nothing');
  t.same(await identity.query('SELECT * FROM password_reset_requests'), [], 'the queue is drained');
});
