import t from 'tap';
import type { PasswordHasher } from '../../src/application/ports.js';
import * as argon2 from '../../src/infrastructure/password-hasher.js';
import { emailHash, newUser, openIdentity } from './client.js';

// A login whose password check fails (not a wrong password: the hasher itself) must not leave
// its reservation under the failure limit behind, or a few of them would have the owner refused.
t.test('a login whose password check fails gives its reservation back and counts no failure', async (t) => {
  let failing = false;
  const outOfMemory = () => Promise.reject(new Error('argon2: memory allocation failed'));
  const hasher: PasswordHasher = {
    hash: argon2.hash,
    verify: (stored, password) => (failing ? outOfMemory() : argon2.verify(stored, password)),
    dummyVerify: (password) => (failing ? outOfMemory() : argon2.dummyVerify(password)),
  };
  const identity = await openIdentity(t, {}, { hasher });
  const body = newUser();
  t.equal((await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: body })).statusCode, 201);
  const device = await identity.device();

  failing = true;
  for (let i = 0; i < 8; i++) {
    const failed = await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: body.password } });
    t.equal(failed.statusCode, 500, `attempt ${i + 1} fails as the hasher did, not as a lock`);
  }
  const counts = await identity.query<{ failures: number; in_flight: number }>('SELECT failures, in_flight FROM login_failures WHERE email_hash = $1', [emailHash(body.email)]);
  t.same(counts, [{ failures: 0, in_flight: 0 }], 'nothing reserved, nothing counted');

  failing = false;
  t.equal((await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: body.password } })).statusCode, 200, 'the owner signs in once the hasher works');
});
