import t from 'tap';
import { CommandFailure, positionals, runOperatorCommand, userIdArgument, type OperatorCommand } from '../src/cli.js';

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, streams: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } } };
}

const greet: OperatorCommand<{ user: string }> = {
  name: 'greet',
  help: 'usage: pnpm elcorp greet USER',
  parse: (argv) => ({ user: userIdArgument(positionals(argv, ['USER'])[0]!) }),
  run: async ({ user }) => {
    if (user.startsWith('00000000')) throw new Error('refused');
    if (user.startsWith('11111111')) throw new CommandFailure('no such user\nat all');
    return [`greeted ${user}`];
  },
  expected: (err) => (err instanceof Error && err.message === 'refused' ? new CommandFailure('refused politely') : err),
};
const id = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

t.test('an operator command: help, success, usage errors, refusals, crashes, each in one line', async (t) => {
  const cases: Array<[string[], number, string, string]> = [
    [['--help'], 0, 'usage: pnpm elcorp greet USER\n', ''],
    [[id.toUpperCase()], 0, `greeted ${id}\n`, ''],
    [[], 2, '', 'elcorp greet: missing USER (see pnpm elcorp greet --help)\n'],
    [[id, 'x'], 2, '', 'elcorp greet: unexpected argument "x" (see pnpm elcorp greet --help)\n'],
    [['nope'], 2, '', 'elcorp greet: USER must be a user id (a UUID), got "nope" (see pnpm elcorp greet --help)\n'],
    [['00000000-0000-7000-8000-000000000000'], 1, '', 'elcorp greet: refused politely\n'],
    [['11111111-0000-7000-8000-000000000000'], 1, '', 'elcorp greet: no such user; at all\n'],
  ];
  for (const [argv, status, stdout, stderr] of cases) {
    const { out, streams } = capture();
    t.equal(await runOperatorCommand(greet, argv, streams), status, argv.join(' '));
    t.same(out, { stdout, stderr });
  }
  const option = capture();
  t.equal(await runOperatorCommand(greet, ['--force'], option.streams), 2, 'an unknown option');
  t.match(option.out.stderr, /^elcorp greet: Unknown option '--force'[^\n]*\(see pnpm elcorp greet --help\)\n$/);
  const { out, streams } = capture();
  t.equal(await runOperatorCommand({ ...greet, expected: undefined, run: async () => Promise.reject(new Error('boom')) }, [id], streams), 1);
  t.equal(out.stderr, 'elcorp greet failed: boom\n', 'an unexpected error is a failure, still one line');
});
