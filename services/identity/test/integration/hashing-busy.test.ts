import t from 'tap';
import type { PasswordHasher } from '../../src/application/ports.js';
import { identityErrors } from '../../src/domain/errors.js';
import * as argon2 from '../../src/infrastructure/password-hasher.js';
import { emailHash, newUser, openIdentity } from './client.js';

// While hashing is saturated a login answers 503; its reservation under the failure limit must
// not outlive it, or a flood of refused attempts would lock the account out for a minute.
t.test('a login whose password check answers busy gives its reservation back and counts no failure', async (t) => {
  let busy = false;
  const hasher: PasswordHasher = {
    hash: argon2.hash,
    verify: (stored, password) => (busy ? Promise.reject(identityErrors.busy(1)) : argon2.verify(stored, password)),
    dummyVerify: (password) => (busy ? Promise.reject(identityErrors.busy(1)) : argon2.dummyVerify(password)),
  };
  const identity = await openIdentity(t, {}, { hasher });
  const body = newUser();
  t.equal((await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: body })).statusCode, 201);
  const device = await identity.device();

  busy = true;
  for (let i = 0; i < 8; i++) {
    const refused = await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: body.password } });
    t.equal(refused.statusCode, 503, `attempt ${i + 1} answers 503`);
  }
  const counts = await identity.query<{ failures: number; in_flight: number }>('SELECT failures, in_flight FROM login_failures WHERE email_hash = $1', [emailHash(body.email)]);
  t.same(counts, [{ failures: 0, in_flight: 0 }], 'nothing reserved, nothing counted');

  busy = false;
  t.equal((await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: body.password } })).statusCode, 200, 'the owner signs in once hashing has room');
});
