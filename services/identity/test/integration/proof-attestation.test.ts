import { attestVerifiedProof, proofAttestationHeader, signDpopProof } from '@elcorp/auth';
import { developmentClientAddressSecret } from '@elcorp/kit';
import t from 'tap';
import { openIdentity, publicBaseUrl, signedInUser } from './client.js';

const mePath = '/api/v1/users/me';

// Behind the gateway, identity takes the gateway's word that it verified a request's proof
// (its replay cache included) instead of verifying it again. A proof identity has already
// seen is the visible difference: refused when identity judges it, served when the gateway
// vouches for this very request. Every attestation that does not hold leaves identity judging.
t.test('identity believes the gateway attestation of a verified proof only for the very request it names', async (t) => {
  const gatewaySecret = 'this-deployment-shares-it-with-its-gateway';
  const identity = await openIdentity(t, { CLIENT_ADDRESS_SECRET: gatewaySecret });
  const { device, session } = await signedInUser(identity);
  const authorization = `DPoP ${session.accessToken}`;
  const proof = await signDpopProof(device.key, { method: 'GET', url: `${publicBaseUrl}${mePath}`, accessToken: session.accessToken });
  const get = (headers: Record<string, string>) => identity.app.inject({ method: 'GET', url: mePath, headers: { authorization, dpop: proof, ...headers } });
  const attested = (request: { method?: string; path?: string; authorization?: string; proof?: string } = {}, secret = gatewaySecret, nowMs = Date.now()) => ({
    [proofAttestationHeader]: attestVerifiedProof(secret, { method: 'GET', path: mePath, authorization, proof, ...request }, nowMs),
  });

  t.equal((await get({})).statusCode, 200, 'the proof, checked by identity itself the first time');
  const replayed = await get({});
  t.equal(replayed.statusCode, 401, 'the same proof again, judged by identity: a replay');
  t.match(replayed.headers['www-authenticate'], /invalid_dpop_proof/);

  const vouched = await get(attested());
  t.equal(vouched.statusCode, 200, 'the gateway vouches for this request: its replay cache, not identity, judged the proof');
  t.equal(vouched.json().id, session.user.id);

  const refusals: Array<[string, Record<string, string>]> = [
    ['under another secret', attested({}, 'another-secret-of-at-least-thirty-two-characters')],
    ['under the public development secret', attested({}, developmentClientAddressSecret)],
    ['for another method', attested({ method: 'DELETE' })],
    ['for another path', attested({ path: '/api/v1/users/me/sessions' })],
    ['for another token', attested({ authorization: `DPoP ${session.refreshToken}` })],
    ['for another proof', attested({ proof: `${proof}x` })],
    ['made more than a minute ago', attested({}, gatewaySecret, Date.now() - 61_000)],
    ['malformed', { [proofAttestationHeader]: 'not-an-attestation' }],
  ];
  for (const [name, headers] of refusals) {
    t.equal((await get(headers)).statusCode, 401, `an attestation ${name}: identity judges the replayed proof itself`);
  }
});
