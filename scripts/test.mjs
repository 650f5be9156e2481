// Runs every package's tap suite through turbo and closes with one plain summary line
// ("N passed, M failed") summed over the packages, so CI and people read one verdict.
import { spawn } from 'node:child_process';

// --continue: one failing package must not hide the verdict of the others.
const args = ['run', 'test', '--log-order=grouped', '--concurrency=2', '--continue', ...process.argv.slice(2)];
const child = spawn('turbo', args, { stdio: ['ignore', 'pipe', 'inherit'], shell: false });

let passed = 0;
let failed = 0;
let suites = 0;
let buffered = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  buffered += chunk;
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines) count(line);
});

// tap closes each run with a line like `# { total: 10, pass: 9, fail: 1 }`.
function count(line) {
  const match = /# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?/.exec(line);
  if (!match) return;
  suites += 1;
  passed += Number(match[2]);
  failed += Number(match[3] ?? 0);
}

child.on('exit', (code, signal) => {
  count(buffered);
  process.stdout.write(`\ntest suites: ${suites}\n`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(code ?? (signal ? 1 : 0));
});
