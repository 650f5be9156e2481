import t from 'tap';
import { openIdentity, signedInUser } from './client.js';

// Login and GET /users/me run prepared statements, kept by each connection: a migration that
// adds a column while the service runs (a rolling deploy) must not break the prepared ones.
t.test('logins and GET /users/me keep working after a column is added to users', async (t) => {
  const identity = await openIdentity(t);
  const { body, device, session } = await signedInUser(identity);
  t.equal((await device.call('GET', '/api/v1/users/me', { session })).statusCode, 200);

  await identity.query('ALTER TABLE users ADD COLUMN nickname text');
  // One at a time: an idle connection is reused, the one that prepared the statements.
  for (let i = 0; i < 3; i++) {
    const again = await device.login(body.email, body.password);
    const me = await device.call('GET', '/api/v1/users/me', { session: again });
    t.equal(me.statusCode, 200, `GET /users/me after login ${i + 1}`);
    t.equal(me.json().email, body.email);
  }
});
