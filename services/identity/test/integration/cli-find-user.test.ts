// `pnpm elcorp find-user`: an operator finds an account's id by its email.
import { runOperatorCli } from '@elcorp/testing';
import t from 'tap';
import { openIdentity } from './client.js';
import { cliEnv, register } from './operator-cli.js';

t.test('find-user EMAIL prints the id alone; an unknown email is one line', async (t) => {
  const identity = await openIdentity(t);
  const { body, id } = await register(t, identity);
  const env = cliEnv(identity);
  const [found, ghost, notAnEmail, help] = await Promise.all([
    runOperatorCli(['find-user', body.email.toUpperCase()], env),
    runOperatorCli(['find-user', 'ghost@example.na'], env),
    runOperatorCli(['find-user', 'no-at-sign'], env),
    runOperatorCli(['find-user', '-h']),
  ]);
  t.same(found, { status: 0, stdout: `${id}\n`, stderr: '' }, 'matched as emails are');
  t.same(ghost, { status: 1, stdout: '', stderr: 'elcorp find-user: no active account has this email\n' });
  t.equal(notAnEmail.status, 2);
  t.match(help.stdout, /^usage: pnpm elcorp find-user EMAIL\n/);
});
