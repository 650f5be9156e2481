import { exportJWK, generateKeyPair } from 'jose';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { ElcorpClient, FileDeviceKeyStore, MemoryDeviceKeyStore, MemoryTokenStore, type DeviceKeyStore } from '../src/index.js';
import { newUser, openIdentity, tempDir } from './helpers.js';

t.test('the file key store keeps one device across client instances', async (t) => {
  const identity = await openIdentity(t);
  const path = join(await tempDir(t), 'keys', 'device.jwk.json');
  const tokenStore = new MemoryTokenStore();
  const first = new ElcorpClient({ baseUrl: identity.baseUrl, deviceKeyStore: new FileDeviceKeyStore(path), tokenStore });
  const input = newUser();
  await first.register(input);
  await first.login({ email: input.email, password: input.password });
  const jkt = await first.deviceThumbprint();

  t.equal((await stat(path)).mode & 0o777, 0o600, 'owner-only file');
  const saved = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  t.match(saved, { kty: 'EC', crv: 'P-256', x: String, y: String, d: String }, 'a private JWK');

  const second = new ElcorpClient({ baseUrl: identity.baseUrl, deviceKeyStore: new FileDeviceKeyStore(path), tokenStore });
  t.equal(await second.deviceThumbprint(), jkt, 'same jkt');
  t.equal((await second.me()).email, input.email, 'the tokens bound to the key work from the second instance');
  await second.refresh();
  const { items } = await second.listSessions();
  t.match(items, [{ jkt, current: true }]);
  t.equal((await readFile(path, 'utf8')).trim(), JSON.stringify(saved), 'the file was not rewritten');
});

t.test('file store: missing file, damaged file, other read errors', async (t) => {
  const dir = await tempDir(t);
  t.equal(await new FileDeviceKeyStore(join(dir, 'absent.json')).load(), undefined);

  const damaged = join(dir, 'damaged.json');
  await writeFile(damaged, '{"kty":');
  await t.rejects(new FileDeviceKeyStore(damaged).load(), /does not hold an ES256 private JWK/);
  const publicOnly = join(dir, 'public.json');
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  await writeFile(publicOnly, JSON.stringify(await exportJWK(publicKey)));
  await t.rejects(new FileDeviceKeyStore(publicOnly).load(), /does not hold an ES256 private JWK/, 'a public key is not enough');
  await t.rejects(new FileDeviceKeyStore(dir).load(), { code: 'EISDIR' });

  // A client over a damaged store fails its calls and does not replace the key.
  const client = new ElcorpClient({ baseUrl: 'http://127.0.0.1:1', deviceKeyStore: new FileDeviceKeyStore(damaged), retries: 0 });
  await t.rejects(client.deviceThumbprint(), /does not hold/);
  t.equal(await readFile(damaged, 'utf8'), '{"kty":', 'left as it was');

  const blocked = new FileDeviceKeyStore(join(damaged, 'below-a-file.json'));
  await t.rejects(blocked.save({ publicJwk: {}, privateJwk: {} }), 'a directory that cannot exist');
});

t.test('a store that fails once is asked again; a key is created once for concurrent first calls', async (t) => {
  const inner = new MemoryDeviceKeyStore();
  let loads = 0;
  let saves = 0;
  const flaky: DeviceKeyStore = {
    async load() {
      loads += 1;
      if (loads === 1) throw new Error('disk busy');
      return inner.load();
    },
    async save(pair) {
      saves += 1;
      return inner.save(pair);
    },
  };
  const client = new ElcorpClient({ baseUrl: 'http://127.0.0.1:1', deviceKeyStore: flaky });
  await t.rejects(client.deviceThumbprint(), /disk busy/);
  const thumbprints = await Promise.all([client.deviceThumbprint(), client.deviceThumbprint(), client.deviceThumbprint()]);
  t.equal(new Set(thumbprints).size, 1);
  t.equal(saves, 1, 'one key made and saved');
  t.equal(loads, 2);
});
