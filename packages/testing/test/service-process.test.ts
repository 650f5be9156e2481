import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { cpuTimesUsOf, cpuUsOf, freePort, startServiceProcess, stopServiceProcess, waitReady } from '../src/index.js';

// A stand-in service: ready after its first tick, /work burns CPU, and (when told) it ignores
// SIGTERM the way a service stuck in its drain would.
const main = `
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
const { PORT, IGNORE_TERM, EXIT_AT_ONCE } = process.env;
let ready = false;
setTimeout(() => { ready = true; }, 50);
if (IGNORE_TERM) process.on('SIGTERM', () => {});
if (EXIT_AT_ONCE) process.exit(3);
createServer((req, res) => {
  if (req.url === '/work') { const end = Date.now() + 200; while (Date.now() < end); }
  if (req.url === '/limits') return res.end(readFileSync('/proc/self/limits', 'utf8'));
  res.statusCode = req.url === '/health/ready' && !ready ? 503 : 200;
  res.end();
}).listen(Number(PORT), '127.0.0.1');
`;

async function stand(t: Test, env: Record<string, string> = {}, openFilesLimit?: number) {
  const cwd = t.testdir({ dist: { 'main.js': main }, 'package.json': '{"type":"module"}' });
  const port = await freePort();
  // Only what the stand-in needs: the variables it reads are the fixture's, not the suite's.
  const { PATH = '' } = process.env;
  const service = startServiceProcess('stand-in', { cwd, env: { PATH, PORT: String(port), ...env }, ...(openFilesLimit === undefined ? {} : { openFilesLimit }) });
  t.teardown(() => stopServiceProcess(service, 1_000));
  return { service, url: `http://127.0.0.1:${port}` };
}

t.test('a service process: ready when its health says so, its CPU read from /proc, stopped by SIGTERM', async (t) => {
  const { service, url } = await stand(t);
  await waitReady(service, url, 10_000);
  const pid = service.child.pid!;
  const before = cpuUsOf(pid);
  await fetch(`${url}/work`);
  const times = cpuTimesUsOf(pid);
  t.ok(times.user + times.system - before >= 100_000, 'a 200 ms busy loop shows as at least 100 ms of CPU');
  t.ok(times.user > 0 && times.system >= 0, 'user and kernel time apart');
  await stopServiceProcess(service);
  t.equal(service.child.signalCode, 'SIGTERM', 'it ended on SIGTERM');
});

t.test('a process that exits before it is ready fails the wait at once', async (t) => {
  const { service, url } = await stand(t, { EXIT_AT_ONCE: '1' });
  await t.rejects(waitReady(service, url, 10_000), /stand-in exited with 3 before it was ready/);
});

t.test('a process deaf to SIGTERM is killed after the grace period', async (t) => {
  const { service, url } = await stand(t, { IGNORE_TERM: '1' });
  await waitReady(service, url, 10_000);
  await stopServiceProcess(service, 300);
  t.equal(service.child.signalCode, 'SIGKILL');
});

t.test('waiting gives up after its time', async (t) => {
  const { service } = await stand(t);
  await t.rejects(waitReady(service, 'http://127.0.0.1:9', 300), /stand-in not ready within 300 ms/);
});

t.test('a process under an open-files limit, as a container sets one: node itself runs under it', async (t) => {
  const { service, url } = await stand(t, {}, 256);
  await waitReady(service, url, 10_000);
  const limits = await (await fetch(`${url}/limits`)).text();
  t.match(limits, /^Max open files\s+256\s+256\s/m, 'soft and hard');
  t.match(readFileSync(`/proc/${service.child.pid}/cmdline`, 'utf8'), /node.*dist\/main\.js/, 'the pid is node\'s: prlimit gave way to it');
});
