// Runs every package's tap suite through turbo and closes with one plain summary ("N passed,
// M failed") summed over the packages, followed by the failures themselves, so CI and people
// read one verdict and its reasons in the last lines of the log.
import { spawn } from 'node:child_process';
import { tapSummary } from './tap-summary.mjs';

// --continue: one failing package must not hide the verdict of the others.
const args = ['run', 'test', '--log-order=grouped', '--concurrency=2', '--continue', ...process.argv.slice(2)];
const child = spawn('turbo', args, { stdio: ['ignore', 'pipe', 'inherit'], shell: false });

const summary = tapSummary();
let buffered = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  buffered += chunk;
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines) summary.read(line);
});

child.on('exit', (code, signal) => {
  summary.read(buffered);
  process.stdout.write(`\n${summary.report()}\n`);
  process.exit(code ?? (signal ? 1 : 0));
});
