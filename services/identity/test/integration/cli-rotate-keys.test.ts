// `pnpm elcorp rotate-keys`: an operator rotates identity's signing key, and may withdraw the old ones.
import { runOperatorCli } from '@elcorp/testing';
import t from 'tap';
import { openIdentity } from './client.js';
import { cliEnv } from './operator-cli.js';

t.test('rotate-keys makes a new key current; the JWKS publishes it beside the old one', async (t) => {
  const identity = await openIdentity(t);
  const before = (await identity.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as { keys: { kid: string }[] };
  const rotated = await runOperatorCli(['rotate-keys'], cliEnv(identity));
  t.equal(rotated.status, 0, rotated.stderr);
  const kid = /^signing key (\S+) is now current\n$/.exec(rotated.stdout)?.[1];
  t.ok(kid, 'names the new key');
  const after = (await identity.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as { keys: { kid: string }[] };
  t.same(after.keys.map((k) => k.kid).sort(), [...before.keys.map((k) => k.kid), kid].sort(), 'the new key and the previous one');
  const extra = await runOperatorCli(['rotate-keys', 'now'], cliEnv(identity));
  t.same([extra.status, extra.stderr], [2, 'elcorp rotate-keys: unexpected argument "now" (see pnpm elcorp rotate-keys --help)\n']);
  t.match((await runOperatorCli(['rotate-keys', '--help'])).stdout, /^usage: pnpm elcorp rotate-keys \[--withdraw-previous\]\n/);
  t.equal((await runOperatorCli(['rotate-keys', '--withdraw'], cliEnv(identity))).status, 2, 'an unknown option');

  const withdrawing = await runOperatorCli(['rotate-keys', '--withdraw-previous'], cliEnv(identity));
  t.equal(withdrawing.status, 0, withdrawing.stderr);
  const [, newest, withdrawn] = /^signing key (\S+) is now current\nwithdrawn: (.+)\n$/.exec(withdrawing.stdout) ?? [];
  t.same(withdrawn?.split(', ').sort(), after.keys.map((k) => k.kid).sort(), 'names every key it withdrew');
  const left = (await identity.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as { keys: { kid: string }[] };
  t.same(left.keys.map((k) => k.kid), [newest], 'only the newest key is published');
});
