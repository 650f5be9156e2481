// The identity commands of the operator CLI, run as an operator types them (`pnpm elcorp …`)
// against this test's schema on the real Postgres.
import { runOperatorCli, testConfig } from '@elcorp/testing';
import t, { type Test } from 'tap';
import { newUser, openIdentity, type Identity } from './client.js';

function cliEnv(identity: Identity): Record<string, string> {
  return { DATABASE_URL: testConfig.databaseUrl, DATABASE_SCHEMA: identity.schema, EVENT_SUBJECT_ROOT: identity.subjectRoot, NODE_ENV: 'test' };
}

async function register(t: Test, identity: Identity) {
  const body = newUser();
  const res = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: body });
  t.equal(res.statusCode, 201, 'registered');
  return { body, id: (res.json() as { id: string }).id };
}

t.test('unlock USER lifts a lockout at once, by email or id, and says so', async (t) => {
  const identity = await openIdentity(t);
  const { body, id } = await register(t, identity);
  const device = await identity.device();
  let last = 0;
  for (let i = 0; i < 6; i += 1) last = (await device.call('POST', '/api/v1/auth/login', { body: { email: body.email, password: 'wrong password, clearly 1' } })).statusCode;
  t.equal(last, 423, 'locked after five failures');
  t.equal((await (await identity.device()).call('POST', '/api/v1/auth/login', { body: { email: body.email, password: body.password } })).statusCode, 423, 'even the right password waits');

  const byEmail = await runOperatorCli(['unlock', body.email], cliEnv(identity));
  t.same(byEmail, { status: 0, stdout: `unlocked user ${id}: its failed sign-in count is cleared\n`, stderr: '' });
  t.equal((await (await identity.device()).call('POST', '/api/v1/auth/login', { body: { email: body.email, password: body.password } })).statusCode, 200, 'signs in now');
  const events = await identity.query<{ payload: { actor: unknown; data: unknown } }>("SELECT payload FROM outbox WHERE type = 'identity.user.unlocked'");
  t.same(events.map((e) => [e.payload.actor, e.payload.data]), [[null, { userId: id, by: null }]], 'announced as an operator unlock');

  const byId = await runOperatorCli(['unlock', id], cliEnv(identity));
  t.equal(byId.status, 0, 'by id too');
  t.match(byId.stdout, `unlocked user ${id}`);
});

t.test('unlock refuses bad input in one line, and --help explains', async (t) => {
  const identity = await openIdentity(t);
  const unknown = await runOperatorCli(['unlock', 'nobody-here@example.na'], cliEnv(identity));
  t.same(unknown, { status: 1, stdout: '', stderr: 'elcorp unlock: no such user\n' });
  const notAnId = await runOperatorCli(['unlock', 'not-a-uuid'], cliEnv(identity));
  t.same(notAnId, { status: 2, stdout: '', stderr: 'elcorp unlock: USER must be a user id (a UUID), got "not-a-uuid" (see pnpm elcorp unlock --help)\n' });
  const missing = await runOperatorCli(['unlock'], cliEnv(identity));
  t.same([missing.status, missing.stderr], [2, 'elcorp unlock: missing USER (see pnpm elcorp unlock --help)\n']);
  const extra = await runOperatorCli(['unlock', 'a@example.na', 'b'], cliEnv(identity));
  t.same([extra.status, extra.stderr], [2, 'elcorp unlock: unexpected argument "b" (see pnpm elcorp unlock --help)\n']);
  const badConfig = await runOperatorCli(['unlock', 'a@example.na'], { ...cliEnv(identity), DATABASE_SCHEMA: 'Not A Schema' });
  t.equal(badConfig.status, 1);
  t.match(badConfig.stderr, /^elcorp unlock: invalid configuration: DATABASE_SCHEMA: [^\n]*\n$/, 'a bad variable, named, in one line');
  const help = await runOperatorCli(['unlock', '--help']);
  t.equal(help.status, 0);
  t.match(help.stdout, /^usage: pnpm elcorp unlock USER\n/);
});

t.test('find-user EMAIL prints the id alone; an unknown email is one line', async (t) => {
  const identity = await openIdentity(t);
  const { body, id } = await register(t, identity);
  t.same(await runOperatorCli(['find-user', body.email.toUpperCase()], cliEnv(identity)), { status: 0, stdout: `${id}\n`, stderr: '' }, 'matched as emails are');
  t.same(await runOperatorCli(['find-user', 'ghost@example.na'], cliEnv(identity)), { status: 1, stdout: '', stderr: 'elcorp find-user: no active account has this email\n' });
  t.equal((await runOperatorCli(['find-user', 'no-at-sign'], cliEnv(identity))).status, 2);
  t.match((await runOperatorCli(['find-user', '-h'])).stdout, /^usage: pnpm elcorp find-user EMAIL\n/);
});

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
