// What an integrator and an operator do with a running fleet, as processes: the example
// script of examples/ drives its journey through the gateway (so it never rots), and the
// operator CLI changes roles on the fleet's own database by email.
import { ElcorpClient, MemoryDeviceKeyStore, MemoryTokenStore } from '@elcorp/sdk';
import { runOperatorCli, testConfig, workspaceRoot } from '@elcorp/testing';
import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import { signedInAdmin } from './admin.js';
import { customerFleet, stopDeadlineMs, waitUntilReady } from './fleet-harness.js';

const password = 'correct horse battery staple 42';
const propagationDeadlineMs = 30_000;
// The fleet's start (bounded by readyDeadlineMs), the example and six CLI processes on a loaded machine.
t.setTimeout(600_000);

function runExample(file: string, env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd: `${workspaceRoot}examples`, env: { ...testConfig.commandEnv, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

t.test('examples/journey.mjs runs against the fleet; bootstrap-admin and grant/revoke-role by email reach the user', async (t) => {
  const { fleet, gateway, broker } = await customerFleet(t);
  const adminEmail = `example-admin-${Date.now()}-${process.pid}@example.na`;
  const { answers, exitedEarly } = await waitUntilReady(fleet);
  t.notOk(exitedEarly, 'the fleet is up', { output: fleet.output() });
  t.equal(answers.size, 5, 'every service is ready', { output: fleet.output() });

  // The example's deposit is this admin's: made by the operator CLI before the example signs in.
  await signedInAdmin(gateway, adminEmail, { EVENT_SUBJECT_ROOT: broker.EVENT_SUBJECT_ROOT! });
  const email = `example-${Date.now()}-${process.pid}@example.na`;
  const example = await runExample('journey.mjs', { ELCORP_BASE_URL: gateway, ELCORP_EXAMPLE_EMAIL: email, ELCORP_EXAMPLE_ADMIN_EMAIL: adminEmail });
  t.equal(example.status, 0, example.stderr);
  const lines = example.stdout.trim().split('\n');
  t.match(lines, [
    new RegExp(`^registered ${email.replace(/\./g, '\\.')} as user [0-9a-f-]{36}$`),
    /^signed in: session [0-9a-f-]{36}/,
    /^me: Ana Nangolo <.*>, roles user, status active$/,
    new RegExp(`^registered payee ${email.replace('@', '+payee@').replace(/[.+]/g, '\\$&')} as user [0-9a-f-]{36}$`),
    /^deposit [0-9a-f-]{36}: 100\.00 NAD into Ana Nangolo's account, posted$/,
    /^transfer [0-9a-f-]{36}: posted, 25\.00 NAD to /,
    'balances: mine 75.00 NAD, payee 25.00 NAD',
    /^receipt: 25\.00 NAD from .+ to .+, posted \(PDF \d+ bytes\)$/,
    /^signed out/,
    `journey complete against ${gateway}`,
  ]);
  const userId = /as user (\S+)$/.exec(lines[0]!)![1]!;

  // The operator's commands, on the fleet's databases as each service's own role (the
  // defaults), announcing on the fleet's subject root so its services hear them.
  const operatorEnv = { EVENT_SUBJECT_ROOT: broker.EVENT_SUBJECT_ROOT! };
  t.same(await runOperatorCli(['bootstrap-admin', email], operatorEnv), { status: 0, stdout: `user ${userId} is now an admin\n`, stderr: '' });
  t.same(await runOperatorCli(['grant-role', email, 'staff'], operatorEnv), { status: 0, stdout: `granted staff to user ${userId}\n`, stderr: '' });

  const client = new ElcorpClient({ baseUrl: gateway, deviceKeyStore: new MemoryDeviceKeyStore(), tokenStore: new MemoryTokenStore() });
  await client.login({ email, password, deviceName: 'e2e operator' });
  // Governance announces the grants; identity's projection applies them. Nothing the test
  // could subscribe to crosses the process boundary, so it asks, bounded.
  const deadline = Date.now() + propagationDeadlineMs;
  let roles = (await client.me()).roles;
  while (!(roles.includes('admin') && roles.includes('staff')) && Date.now() < deadline) {
    await delay(200);
    roles = (await client.me()).roles;
  }
  t.same([...roles].sort(), ['admin', 'staff', 'user'], 'identity sees both grants');

  t.same(await runOperatorCli(['revoke-role', email, 'staff'], operatorEnv), { status: 0, stdout: `revoked staff from user ${userId}\n`, stderr: '' });
  t.same(await runOperatorCli(['grant-role', `nobody-${Date.now()}@example.na`, 'staff'], operatorEnv), { status: 1, stdout: '', stderr: 'elcorp find-user: no active account has this email\n' });
  t.same(await runOperatorCli(['bootstrap-admin', userId], operatorEnv), {
    status: 2,
    stdout: '',
    stderr: `elcorp bootstrap-admin: EMAIL must be an email address, got "${userId}" (see pnpm elcorp bootstrap-admin --help)\n`,
  });

  fleet.stop();
  t.same(await fleet.exitWithin(stopDeadlineMs), { code: 0, signal: null }, 'the fleet stops cleanly', { output: fleet.output() });
});
