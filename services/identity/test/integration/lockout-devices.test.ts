// API.md, Lockout: a device that has signed in to the account keeps its own failure count;
// every other device (and every caller naming an unknown email) shares the email's count.
import t from 'tap';
import { lockoutPolicy } from '../../src/domain/lockout.js';
import { emailHash, newUser, openIdentity, signedInUser, strongPassword, type Identity } from './client.js';

const loginPath = '/api/v1/auth/login';
const attackerAddresses = ['203.0.113.7', '198.51.100.23'];

/** Statuses of `attempts` wrong logins, each from a fresh device key, alternating two addresses. */
async function freshDeviceGuesses(identity: Identity, email: string, attempts: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < attempts; i++) {
    const device = await identity.device();
    const res = await device.call('POST', loginPath, { body: { email, password: `wrong guess number ${i}` }, remoteAddress: attackerAddresses[i % 2]! });
    statuses.push(res.statusCode);
  }
  return statuses;
}

const lockedAfterLimit = Array.from({ length: lockoutPolicy.maxFailures }, (_, i) => (i < lockoutPolicy.maxFailures - 1 ? 401 : 423));

t.test('100 failures from fresh devices on two addresses lock strangers out, never the owner’s known device', async (t) => {
  const identity = await openIdentity(t);
  const { body, device: ownersDevice } = await signedInUser(identity);
  const secondOwnDevice = await identity.device();
  await secondOwnDevice.login(body.email, strongPassword);

  const statuses = await freshDeviceGuesses(identity, body.email, 100);
  t.same(statuses.slice(0, lockoutPolicy.maxFailures), lockedAfterLimit, 'an unknown device gets 423 at the fifth failure');
  t.ok(statuses.slice(lockoutPolicy.maxFailures).every((s) => s === 423), 'and every unknown device after it');

  t.ok((await ownersDevice.login(body.email, strongPassword)).accessToken, 'the owner’s device still signs in');
  t.ok((await secondOwnDevice.login(body.email, strongPassword)).accessToken, 'so does every device that signed in before');

  const newDevice = await identity.device();
  const stranger = await newDevice.call('POST', loginPath, { body: { email: body.email, password: strongPassword } });
  t.equal(stranger.statusCode, 423, 'a device that never signed in shares the locked count, even with the right password');
  t.ok(Number(stranger.headers['retry-after']) > 0, 'with Retry-After');

  t.ok((await ownersDevice.login(body.email, strongPassword)).accessToken, 'the owner’s success does not reset the strangers’ count');
  t.equal((await newDevice.call('POST', loginPath, { body: { email: body.email, password: strongPassword } })).statusCode, 423);
});

t.test('an unknown email locks the same way, so a lock reveals nothing', async (t) => {
  const identity = await openIdentity(t);
  const statuses = await freshDeviceGuesses(identity, newUser().email, lockoutPolicy.maxFailures + 2);
  t.same(statuses, [...lockedAfterLimit, 423, 423]);
});

t.test('a known device’s own failures lock that device only', async (t) => {
  const identity = await openIdentity(t);
  const { body, device } = await signedInUser(identity);
  const otherOwnDevice = await identity.device();
  await otherOwnDevice.login(body.email, strongPassword);

  const statuses: number[] = [];
  for (let i = 0; i < lockoutPolicy.maxFailures + 1; i++) statuses.push((await device.call('POST', loginPath, { body: { email: body.email, password: 'not my password at all' } })).statusCode);
  t.same(statuses, [...lockedAfterLimit, 423], 'five failures lock the device that made them');
  t.equal((await device.call('POST', loginPath, { body: { email: body.email, password: strongPassword } })).statusCode, 423, 'even for the right password');
  t.ok((await otherOwnDevice.login(body.email, strongPassword)).accessToken, 'another known device is untouched');
  const rows = await identity.query<{ scope: string; failures: number }>('SELECT scope, failures FROM login_failures WHERE email_hash = $1 ORDER BY scope', [emailHash(body.email)]);
  t.equal(rows.find((row) => row.scope === `device:${device.key.jkt}`)?.failures, lockoutPolicy.maxFailures, 'the count belongs to that device');
  t.ok(rows.filter((row) => row.scope !== `device:${device.key.jkt}`).every((row) => row.failures === 0), 'no other count moved, the shared one included');
});
