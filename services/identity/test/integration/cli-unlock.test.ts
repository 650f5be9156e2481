// `pnpm elcorp unlock`: an operator lifts a lockout.
import { runOperatorCli } from '@elcorp/testing';
import t from 'tap';
import { openIdentity } from './client.js';
import { cliEnv, register } from './operator-cli.js';

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
  // Independent runs, side by side: each waits mostly for its own pnpm and node to start.
  const env = cliEnv(identity);
  const [unknown, notAnId, missing, extra, badConfig, help] = await Promise.all([
    runOperatorCli(['unlock', 'nobody-here@example.na'], env),
    runOperatorCli(['unlock', 'not-a-uuid'], env),
    runOperatorCli(['unlock'], env),
    runOperatorCli(['unlock', 'a@example.na', 'b'], env),
    runOperatorCli(['unlock', 'a@example.na'], { ...env, DATABASE_SCHEMA: 'Not A Schema' }),
    runOperatorCli(['unlock', '--help']),
  ]);
  t.same(unknown, { status: 1, stdout: '', stderr: 'elcorp unlock: no such user\n' });
  t.same(notAnId, { status: 2, stdout: '', stderr: 'elcorp unlock: USER must be a user id (a UUID), got "not-a-uuid" (see pnpm elcorp unlock --help)\n' });
  t.same([missing.status, missing.stderr], [2, 'elcorp unlock: missing USER (see pnpm elcorp unlock --help)\n']);
  t.same([extra.status, extra.stderr], [2, 'elcorp unlock: unexpected argument "b" (see pnpm elcorp unlock --help)\n']);
  t.equal(badConfig.status, 1);
  t.match(badConfig.stderr, /^elcorp unlock: invalid configuration: DATABASE_SCHEMA: [^\n]*\n$/, 'a bad variable, named, in one line');
  t.equal(help.status, 0);
  t.match(help.stdout, /^usage: pnpm elcorp unlock USER\n/);
});
