// grant-role and revoke-role as an operator types them (`pnpm elcorp …`), against this test's
// migrated schema on the real Postgres. bootstrap-admin needs identity too: packages/e2e.
import { uuidv7 } from '@elcorp/contracts';
import { runOperatorCli } from '@elcorp/testing';
import t from 'tap';
import { userRoles } from '../../src/application/assignments.js';
import { openHarness, type Harness } from './harness.js';

// GOVERNANCE__ variables reach governance's commands only, as an operator addresses one service.
const cliEnv = (h: Harness) => ({ GOVERNANCE__DATABASE_URL: h.database.url, GOVERNANCE__DATABASE_SCHEMA: h.database.schema, EVENT_SUBJECT_ROOT: 'test' });

t.test('grant-role and revoke-role change a user\'s roles, announce it with by: null, and say what they did', async (t) => {
  const h = await openHarness(t);
  const user = uuidv7();
  t.same(await runOperatorCli(['grant-role', user, 'staff'], cliEnv(h)), { status: 0, stdout: `granted staff to user ${user}\n`, stderr: '' });
  t.same(await userRoles(h.deps, user), { roles: ['staff'] });
  t.same(await runOperatorCli(['grant-role', user.toUpperCase(), 'staff'], cliEnv(h)), { status: 0, stdout: `user ${user} already has staff; nothing changed\n`, stderr: '' });
  t.same(await runOperatorCli(['revoke-role', user, 'staff'], cliEnv(h)), { status: 0, stdout: `revoked staff from user ${user}\n`, stderr: '' });
  t.same(await userRoles(h.deps, user), { roles: [] });
  t.same(await runOperatorCli(['revoke-role', user, 'staff'], cliEnv(h)), { status: 0, stdout: `user ${user} does not have staff; nothing changed\n`, stderr: '' });
  t.same(
    (await h.events()).filter((e) => e.type.startsWith('governance.role.')),
    [
      { type: 'governance.role.assigned', data: { userId: user, role: 'staff', by: null } },
      { type: 'governance.role.revoked', data: { userId: user, role: 'staff', by: null } },
    ],
    'one event per change',
  );
});

t.test('refusals and bad input are one line each; --help explains', async (t) => {
  const h = await openHarness(t);
  const admin = uuidv7();
  t.equal((await runOperatorCli(['grant-role', admin, 'admin'], cliEnv(h))).status, 0);
  t.same(await runOperatorCli(['revoke-role', admin, 'admin'], cliEnv(h)), {
    status: 1,
    stdout: '',
    stderr: 'elcorp revoke-role: the last admin keeps the admin role; grant it to someone else first\n',
  });
  t.same(await userRoles(h.deps, admin), { roles: ['admin'] }, 'still an admin');
  // Independent runs, side by side: each waits mostly for its own pnpm and node to start, and
  // one after another they took a third of this file's tap timeout on a loaded CI machine.
  const helpFor = ['grant-role', 'revoke-role', 'bootstrap-admin'];
  const [noSuchRole, badRole, badUser, missingRole, ...helps] = await Promise.all([
    runOperatorCli(['grant-role', admin, 'auditor'], cliEnv(h)),
    runOperatorCli(['grant-role', admin, 'Not A Role'], cliEnv(h)),
    runOperatorCli(['revoke-role', 'nobody', 'staff'], cliEnv(h)),
    runOperatorCli(['grant-role', admin], cliEnv(h)),
    ...helpFor.map((command) => runOperatorCli([command, '--help'])),
  ]);
  t.same(noSuchRole, { status: 1, stdout: '', stderr: 'elcorp grant-role: no role named auditor\n' });
  t.same(badRole, {
    status: 2,
    stdout: '',
    stderr: 'elcorp grant-role: ROLE must be a role name (lower-case letters, digits, - and _), got "Not A Role" (see pnpm elcorp grant-role --help)\n',
  });
  t.same(badUser, {
    status: 2,
    stdout: '',
    stderr: 'elcorp revoke-role: USER must be a user id (a UUID), got "nobody" (see pnpm elcorp revoke-role --help)\n',
  });
  t.same(missingRole.stderr, 'elcorp grant-role: missing ROLE (see pnpm elcorp grant-role --help)\n');
  helpFor.forEach((command, i) => {
    t.equal(helps[i]!.status, 0, `${command} --help`);
    t.match(helps[i]!.stdout, new RegExp(`^usage: pnpm elcorp ${command} `));
  });
});
