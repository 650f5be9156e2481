import t from 'tap';
import { lockoutPolicy } from '../../src/domain/lockout.js';
import { emailHash, openIdentity, signedInUser, strongPassword, type Identity } from './client.js';

interface Counter {
  failures: number;
  in_flight: number;
  locked: boolean;
}

const counter = async (identity: Identity, email: string) =>
  (
    await identity.query<Counter>('SELECT failures, in_flight, coalesce(locked_until > now(), false) AS locked FROM login_failures WHERE email_hash = $1 AND scope = \'\'', [
      emailHash(email),
    ])
  )[0];

const outboxData = async (identity: Identity, type: string) =>
  (await identity.query<{ payload: { data: Record<string, unknown> } }>('SELECT payload FROM outbox WHERE type = $1 ORDER BY created_at, id', [type])).map(
    (r) => r.payload.data,
  );

/** Makes the outbox refuse login_failed rows, as a failing outbox write would, until undone. */
async function refuseLoginFailedEvents(identity: Identity): Promise<() => Promise<void>> {
  await identity.query(`CREATE OR REPLACE FUNCTION refuse_login_failed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.type = 'identity.user.login_failed' THEN RAISE EXCEPTION 'the outbox refuses login_failed'; END IF;
      RETURN NEW;
    END $$`);
  await identity.query('CREATE TRIGGER refuse_login_failed BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION refuse_login_failed()');
  return async () => {
    await identity.query('DROP TRIGGER refuse_login_failed ON outbox');
  };
}

t.test("a failed login's count and its login_failed event commit together, or neither does", async (t) => {
  // The refused outbox writes are logged as the errors they are; this test expects them.
  const identity = await openIdentity(t, { LOG_LEVEL: 'fatal' });
  const { body, user } = await signedInUser(identity);
  const attacker = await identity.device();
  const guess = () => attacker.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: 'wrong password guess 1' } });

  let allow = await refuseLoginFailedEvents(identity);
  t.equal((await guess()).statusCode, 500, 'the failure could not be recorded');
  t.match(await counter(identity, body.email), { failures: 0, in_flight: 0, locked: false }, 'so it was not counted either');
  t.same(await outboxData(identity, 'identity.user.login_failed'), []);
  await allow();

  t.equal((await guess()).statusCode, 401);
  t.match(await counter(identity, body.email), { failures: 1, in_flight: 0 }, 'counted');
  t.same(await outboxData(identity, 'identity.user.login_failed'), [{ emailHash: emailHash(body.email), reason: 'invalid_credentials', ip: '127.0.0.1' }], 'and announced');

  for (let failures = 2; failures < lockoutPolicy.maxFailures; failures++) t.equal((await guess()).statusCode, 401);
  allow = await refuseLoginFailedEvents(identity);
  t.equal((await guess()).statusCode, 500, 'the failure that would lock could not be recorded');
  t.match(await counter(identity, body.email), { failures: lockoutPolicy.maxFailures - 1, in_flight: 0, locked: false }, 'so nothing locked');
  t.same(await outboxData(identity, 'identity.user.locked'), [], 'nor was a lock announced');
  t.notOk((await identity.messages()).some((m) => m.template === 'account_locked'), 'nor the owner told of one');
  await allow();

  const locking = await guess();
  t.equal(locking.statusCode, 423, 'the same failure, recorded, locks');
  t.match(await counter(identity, body.email), { failures: lockoutPolicy.maxFailures, locked: true });
  t.equal((await outboxData(identity, 'identity.user.login_failed')).length, lockoutPolicy.maxFailures, 'one login_failed per counted failure');
  t.match(await outboxData(identity, 'identity.user.locked'), [{ userId: user.id }]);
  t.ok((await identity.messages()).some((m) => m.template === 'account_locked'), 'the owner is told');
});

t.test('reservations left by a crashed attempt stop blocking once abandoned', async (t) => {
  const identity = await openIdentity(t);
  const { body } = await signedInUser(identity);
  const device = await identity.device();
  // As if as many processes died mid-attempt as the limit allows: every place is taken.
  await identity.query('UPDATE login_failures SET in_flight = $1 WHERE email_hash = $2', [lockoutPolicy.maxFailures, emailHash(body.email)]);
  const refused = await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: strongPassword } });
  t.equal(refused.statusCode, 423, 'no place under the limit');
  t.equal(refused.headers['retry-after'], String(lockoutPolicy.placesTakenRetrySeconds), 'nothing is locked: come back in a moment, not in 15 minutes');
  t.match(refused.json(), { code: 'identity.account_locked', detail: /being checked at once/ });
  t.same(await outboxData(identity, 'identity.user.login_failed'), [{ emailHash: emailHash(body.email), reason: 'locked', ip: '127.0.0.1' }], 'the refusal is announced');
  t.match(await counter(identity, body.email), { in_flight: lockoutPolicy.maxFailures, failures: 0 }, 'and took no place of its own');

  await identity.query(`UPDATE login_failures SET updated_at = now() - make_interval(secs => $1) WHERE email_hash = $2`, [
    lockoutPolicy.abandonedAttemptSeconds + 1,
    emailHash(body.email),
  ]);
  const session = await device.login(body.email, strongPassword);
  t.ok(session.accessToken, 'the abandoned reservations are dropped');
  t.match(await counter(identity, body.email), { in_flight: 0, failures: 0 });
});
