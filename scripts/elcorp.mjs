// The operator CLI: `pnpm elcorp <command> …`. A thin dispatcher, on purpose: each command is
// implemented by the service that owns the use case, in its own src/cli/<command>.ts, and run
// here as a process (node services/<svc>/dist/cli/<command>.js). So no service imports
// another, every command reads only its own service's configuration, and a command runs the
// same use case as the HTTP route. The dispatcher's only logic is turning an email into the
// user id the other services know users by (identity's find-user), for the commands that
// take a USER.
//
// Per-service settings: `<SERVICE>__<VARIABLE>` (e.g. IDENTITY__DATABASE_URL) is handed to
// that service's command as <VARIABLE>, so one shell can address every service's own role.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environmentFor } from './service-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A command's implementation: a built file of the package that owns it. */
const cli = (dir, name) => ({ dir, name, source: join(dir, 'src', 'cli', `${name}.ts`), built: join(dir, 'dist', 'cli', `${name}.js`) });
const identity = (name) => ({ service: 'identity', ...cli('services/identity', name) });
const governance = (name) => ({ service: 'governance', ...cli('services/governance', name) });
const compliance = (name) => ({ service: 'compliance', ...cli('services/compliance', name) });
const messaging = (name) => ({ service: 'messaging', ...cli('packages/messaging', name) });

/**
 * Every command: its synopsis, what it does, where it is implemented, and which positional
 * argument is a user (an email there is resolved to the id first).
 */
const commands = {
  'bootstrap-admin': { synopsis: 'EMAIL', about: 'grant admin to the account with this email (the first admin, or a replacement)', target: governance('bootstrap-admin'), userArg: 0, emailOnly: true },
  'grant-role': { synopsis: 'USER ROLE', about: 'give a user a role (USER: id or email)', target: governance('grant-role'), userArg: 0 },
  'revoke-role': { synopsis: 'USER ROLE', about: 'take a role from a user; the last admin is kept', target: governance('revoke-role'), userArg: 0 },
  unlock: { synopsis: 'USER', about: 'lift a login lockout now (USER: id or email)', target: identity('unlock') },
  'find-user': { synopsis: 'EMAIL', about: 'print the id of the active account with this email', target: identity('find-user') },
  'rotate-keys': { synopsis: '', about: "make a new signing key current now (identity's token keys)", target: identity('rotate-keys') },
  dlq: { synopsis: 'list|show|replay …', about: 'dead letters: list them, show one, replay one to its subject', target: messaging('dlq') },
  'audit verify': { synopsis: '…', about: 'verify an audit export or a live log against a signed checkpoint', target: compliance('audit-verify') },
};

const usage = `usage: pnpm elcorp <command> [arguments]    (pnpm elcorp <command> --help for each)

${Object.entries(commands)
  .map(([name, c]) => `  ${`${name} ${c.synopsis}`.trim().padEnd(30)}${c.about}`)
  .join('\n')}

Each command reads its own service's configuration (DATABASE_URL, DATABASE_SCHEMA, NATS_URL,
EVENT_SUBJECT_ROOT …; defaults reach the local development fleet). <SERVICE>__<VARIABLE>
(e.g. GOVERNANCE__DATABASE_URL) sets a variable for that service's commands only.
exit status: 0 done, 1 refused or failed, 2 bad arguments`;

function fail(line, status) {
  process.stderr.write(`${line}\n`);
  process.exit(status);
}

function built(name, target) {
  if (existsSync(join(root, target.built))) return join(root, target.built);
  if (!existsSync(join(root, target.source))) fail(`elcorp ${name}: not available in this version (${target.source} does not exist yet)`, 1);
  return fail(`elcorp ${name}: ${target.built} is not built; run pnpm build first`, 1);
}

/** Runs a command file; resolves to its exit status, and its stdout when captured. */
function run(name, target, args, { capture = false } = {}) {
  const file = built(name, target);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], { cwd: root, env: environmentFor(target.service), stdio: ['inherit', capture ? 'pipe' : 'inherit', 'inherit'] });
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk) => {
      // An id is one short line; anything longer is not what we asked for.
      if (stdout.length < 4096) stdout += chunk;
    });
    child.on('error', (err) => fail(`elcorp ${name}: could not run ${target.built}: ${err.message}`, 1));
    child.on('close', (status, signal) => resolve({ status: status ?? (signal ? 1 : 0), stdout }));
  });
}

/** An email names a user for the commands whose services know only ids. */
async function userIdOf(name, email) {
  const found = await run(name, commands['find-user'].target, [email], { capture: true });
  if (found.status !== 0) process.exit(found.status);
  return found.stdout.trim();
}

async function main(argv) {
  if (argv.length === 0 || ['-h', '--help', 'help'].includes(argv[0])) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const two = `${argv[0]} ${argv[1] ?? ''}`;
  const name = commands[two] ? two : argv[0];
  const command = commands[name];
  if (!command) fail(`elcorp: unknown command "${argv[0]}" (see pnpm elcorp --help)`, 2);
  const args = argv.slice(name.split(' ').length);
  const wantsHelp = args.some((arg) => ['-h', '--help', 'help'].includes(arg));
  if (!wantsHelp && command.userArg !== undefined && args[command.userArg] !== undefined) {
    const user = args[command.userArg];
    if (command.emailOnly && !user.includes('@')) fail(`elcorp ${name}: EMAIL must be an email address, got "${user}" (see pnpm elcorp ${name} --help)`, 2);
    if (user.includes('@')) args[command.userArg] = await userIdOf(name, user);
  }
  return (await run(name, command.target, args)).status;
}

process.exitCode = await main(process.argv.slice(2));
