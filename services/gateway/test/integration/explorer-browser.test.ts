// The API explorer as a person uses it: a real Chromium opens /docs on the real gateway in
// front of the real identity service, signs in with a device key the browser makes itself,
// and calls a protected route through Swagger UI's own "Try it out" and "Execute".
import { identityService } from '@elcorp/identity/service';
import { bootService } from '@elcorp/service-testing';
import { chromiumArgs, ensureChromium, freePort, testRedisPrefix } from '@elcorp/testing';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import t from 'tap';
import { gatewayService } from '../../src/service.js';

const password = 'correct horse battery staple 42';

/** The few browser globals the page-side checks touch (the test compiles without DOM types). */
interface Pending<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface StoredKeyPair {
  privateKey: { extractable: boolean; algorithm: { namedCurve: string } };
}
interface Page {
  indexedDB: { open(name: string, version: number): Pending<{ transaction(store: string): { objectStore(name: string): { get(key: string): Pending<StoredKeyPair> } } }> };
  atob(data: string): string;
  elcorpExplorer?: { proof(method: string, url: string): Promise<string> };
}
// A fresh machine installs Chromium first (apt-get): give this file room for that download.
t.setTimeout(15 * 60_000);
const executablePath = await ensureChromium();

const port = await freePort();
// `localhost` is a secure context for WebCrypto and IndexedDB, as the DPoP htu must match.
const publicBaseUrl = `http://localhost:${port}`;
const redisPrefix = (await testRedisPrefix(t)).prefix;
const identity = await bootService(t, identityService, {
  PUBLIC_BASE_URL: publicBaseUrl,
  REDIS_KEY_PREFIX: redisPrefix,
  NODE_ENV: 'test',
  NOTIFICATIONS_DIR: t.testdir({}),
});
await identity.app.listen({ host: '127.0.0.1', port: 0 });
const identityUrl = `http://127.0.0.1:${(identity.app.server.address() as AddressInfo).port}`;
const gateway = await bootService(t, gatewayService, { PUBLIC_BASE_URL: publicBaseUrl, REDIS_KEY_PREFIX: redisPrefix, IDENTITY_URL: identityUrl, INTERNAL_PORT: '0' });
await gateway.app.listen({ host: '127.0.0.1', port });

const email = `explorer-${randomUUID()}@example.na`;
const registered = await identity.app.inject({
  method: 'POST',
  url: '/api/v1/auth/register',
  payload: { email, password, fullName: 'Selma Nghipondoka', phone: '+264811234567', agreedTerms: true },
});
if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.body}`);

const browser = await chromium.launch({ executablePath, args: [...chromiumArgs] });
t.teardown(() => browser.close());

t.test('signs in with a browser-made device key and gets 200 from a protected route through /docs', async (t) => {
  const context = await browser.newContext();
  t.teardown(() => context.close());
  const page = await context.newPage();
  const blocked: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') blocked.push(message.text());
  });
  await page.goto(`${publicBaseUrl}/docs`);

  t.equal(await page.title(), 'Elcorp API explorer', 'the page carries Elcorp\'s name');
  await page.locator('.info .title').filter({ hasText: 'Elcorp API' }).waitFor();

  await page.fill('.elcorp-session input[name=email]', email);
  await page.fill('.elcorp-session input[name=password]', password);
  await page.click('.elcorp-session button[type=submit]');
  await page.locator('.elcorp-session [data-role=who]').filter({ hasText: email }).waitFor();

  const operation = page.locator('.opblock-get').filter({ has: page.locator('[data-path="/api/v1/users/me"]') }).first();
  await operation.locator('.opblock-summary').click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  await operation.getByRole('button', { name: 'Execute' }).click();
  const status = operation.locator('.live-responses-table .response-col_status:not(.col_header)');
  await status.waitFor();
  t.equal((await status.innerText()).trim(), '200', 'GET /api/v1/users/me answers 200 through the gateway');
  t.match(await operation.locator('.live-responses-table .response-col_description:not(.col_header)').first().innerText(), email, 'with the signed-in user');

  const key = await page.evaluate(async () => {
    const browser = globalThis as unknown as Page;
    const pair = await new Promise<StoredKeyPair>((resolve, reject) => {
      const opening = browser.indexedDB.open('elcorp-explorer', 1);
      opening.onerror = () => reject(opening.error);
      opening.onsuccess = () => {
        const get = opening.result.transaction('keys').objectStore('keys').get('device');
        get.onsuccess = () => resolve(get.result);
      };
    });
    return { extractable: pair.privateKey.extractable, algorithm: pair.privateKey.algorithm.namedCurve };
  });
  t.same(key, { extractable: false, algorithm: 'P-256' }, 'the private key is non-extractable P-256, kept in IndexedDB');
  t.same(blocked.filter((line) => /Content Security Policy/i.test(line)), [], 'nothing the page needs is refused by its CSP');
});

t.test('the same browser stays the same device across reloads', async (t) => {
  const context = await browser.newContext();
  t.teardown(() => context.close());
  const page = await context.newPage();
  const deviceJwk = async () => {
    await page.waitForFunction(() => (globalThis as unknown as Page).elcorpExplorer !== undefined);
    return page.evaluate(async () => {
      const browser = globalThis as unknown as Page;
      const proof = await browser.elcorpExplorer!.proof('GET', '/api/v1/users/me');
      return (JSON.parse(browser.atob(proof.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/'))) as { jwk: unknown }).jwk;
    });
  };
  await page.goto(`${publicBaseUrl}/docs`);
  const first = await deviceJwk();
  await page.reload();
  t.same(await deviceJwk(), first, 'the proof key after a reload is the one made before it');
});
