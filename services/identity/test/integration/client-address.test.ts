import { clientAddressHeader, clientAddressSignatureHeader, developmentClientAddressSecret, signClientAddress } from '@elcorp/kit';
import t from 'tap';
import { newUser, openIdentity } from './client.js';

// The address is checked when a route first reads it: sessions record it, so a login shows it.
t.test('a session records the address the gateway signed, and the socket peer when the signature does not hold', async (t) => {
  const identity = await openIdentity(t);
  const body = newUser();
  t.equal((await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: body })).statusCode, 201);
  const device = await identity.device();
  const login = async (headers: Record<string, string>) => {
    const res = await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: body.password }, headers, remoteAddress: '10.0.0.9' });
    t.equal(res.statusCode, 200);
    const [session] = await identity.query<{ ip: string }>('SELECT ip FROM sessions WHERE id = $1', [res.json().sessionId]);
    return session!.ip;
  };

  const signed = { [clientAddressHeader]: '203.0.113.7', [clientAddressSignatureHeader]: signClientAddress(developmentClientAddressSecret, '203.0.113.7') };
  t.equal(await login(signed), '203.0.113.7', 'the forwarded address, its signature verified');
  const forged = { [clientAddressHeader]: '198.51.100.1', [clientAddressSignatureHeader]: signClientAddress(developmentClientAddressSecret, '203.0.113.7') };
  t.equal(await login(forged), '10.0.0.9', 'a signature over another address: the socket peer');
  const stale = { [clientAddressHeader]: '203.0.113.7', [clientAddressSignatureHeader]: signClientAddress(developmentClientAddressSecret, '203.0.113.7', Date.now() - 120_000) };
  t.equal(await login(stale), '10.0.0.9', 'a stale signature: the socket peer');
  t.equal(await login({}), '10.0.0.9', 'nothing forwarded: the socket peer');
});
