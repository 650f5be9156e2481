// A test process that dies by a signal (as tap's timeout ends one) takes the servers it started
// with it: no exit hook runs then, and a server left behind would hold its port for the runs
// after. The test process here is a child of the test, killed outright.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import { freePort, testConfig } from '../src/index.js';
import { tryConnect } from '../src/ports.js';

const serverProcessModule = new URL('../dist/server-process.js', import.meta.url).href;

t.test('a server started by a test process dies when that process is killed', async (t) => {
  const port = await freePort();
  const script = `
    const { startServerProcess } = await import(${JSON.stringify(serverProcessModule)});
    await startServerProcess({
      name: 'redis-server',
      binaries: ${JSON.stringify(testConfig.redisServerPaths)},
      args: ['--bind', '127.0.0.1', '--port', '${port}', '--save', '', '--appendonly', 'no'],
      port: ${port},
    });
    console.log('ready');
    setInterval(() => {}, 60_000);`;
  const testProcess = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => testProcess.kill('SIGKILL'));
  const [line] = (await once(createInterface({ input: testProcess.stdout }), 'line')) as [string];
  t.equal(line, 'ready');
  await t.resolves(tryConnect(port), 'the server listens');

  testProcess.kill('SIGKILL');
  await once(testProcess, 'exit');
  // The kernel delivers the parent-death signal at once; the server's port closes as it dies.
  let listening = true;
  for (let attempt = 0; attempt < 100 && listening; attempt++) {
    listening = await tryConnect(port).then(() => true, () => false);
    if (listening) await delay(50);
  }
  t.notOk(listening, 'the server went with its test process');
});
