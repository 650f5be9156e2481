// The last lines of a CI log are all a reader may get: the summary there must count every
// package's results and repeat each failure with its diagnostics, from tap's real output.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { root } from './support/variables-read.js';

interface TapSummary {
  read(line: string): void;
  report(): string;
}
const { tapSummary } = (await import(new URL('scripts/tap-summary.mjs', `file://${root}`).href)) as { tapSummary: () => TapSummary };

/** The suite's TAP, each line prefixed as turbo prints a package's task. */
function suiteOutput(task: string): string[] {
  const run = spawnSync(process.execPath, [fileURLToPath(new URL('fixtures/failing-suite.mjs', import.meta.url))], { encoding: 'utf8', env: { ...process.env, TAP: '' } });
  return run.stdout.split('\n').map((line) => `${task}: ${line}`);
}

const passingPackage = ['# Subtest: test/a.test.ts', '    ok 1 - fine', 'ok 1 - test/a.test.ts', '# { total: 7, pass: 7 }'].map((line) => `@elcorp/auth:test: ${line}`);

t.test('the report counts every package and repeats the failures with their diagnostics', async (t) => {
  const summary = tapSummary();
  const failing = suiteOutput('@elcorp/identity:test');
  for (const line of [...failing, ...passingPackage]) summary.read(line);
  // The fixture runs outside tap's runner, so it prints no totals line of its own: add one as
  // the runner would.
  summary.read('@elcorp/identity:test: # { total: 3, pass: 1, fail: 2 }');
  const report = summary.report();
  const lines = report.split('\n');

  t.equal(lines[0], 'test suites: 2');
  t.equal(lines[1], '8 passed, 2 failed');
  t.match(report, /@elcorp\/identity:test: +not ok 1 - the answer is 41/, 'the failed assertion, named, with its package');
  t.match(report, /-41\n.*\+42/, 'and its diff');
  t.match(report, /not ok \d+ - on a known device/, 'the subtest it failed in');
  t.match(report, /not ok \d+ - login/, 'and that one\'s parent');
  t.match(report, /not ok \d+ - the loop never stalls/, 'a second failure');
  t.notMatch(report, /\sok \d+ - fine/, 'nothing that passed');
  const parent = lines.findIndex((line) => /not ok \d+ - login/.test(line));
  t.ok(!lines[parent + 1]?.includes('---'), 'a parent is one line: its child already said where');
});

t.test('a green run ends with the counts alone', async (t) => {
  const summary = tapSummary();
  for (const line of passingPackage) summary.read(line);
  t.equal(summary.report(), 'test suites: 1\n7 passed, 0 failed');
});

t.test('many failures are counted, and the report stays bounded', async (t) => {
  const summary = tapSummary();
  for (let i = 1; i <= 500; i++) {
    summary.read(`@elcorp/x:test:     not ok ${i} - failure ${i}`);
    for (let j = 0; j < 100; j++) summary.read(`@elcorp/x:test:       line ${j}`);
  }
  const report = summary.report();
  t.match(report, /500 "not ok" lines/);
  t.ok(report.split('\n').length < 1000, `${report.split('\n').length} lines`);
  t.notMatch(report, /failure 21\b/, 'only the first ones are shown');
});
