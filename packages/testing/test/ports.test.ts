import t from 'tap';
import { createServer } from 'node:net';
import { freePort } from '../src/index.js';
import { tryConnect } from '../src/ports.js';

t.test('freePort returns a port that can be listened on', async (t) => {
  const port = await freePort();
  t.ok(port > 0 && port < 65536);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await t.resolves(tryConnect(port));
});
