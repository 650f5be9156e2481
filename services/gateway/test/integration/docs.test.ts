// Local node:http servers stand in for the upstreams' /openapi.json: present, changed, down, slow.
import { buildApp, createLogger } from '@elcorp/kit';
import { freePort } from '@elcorp/testing';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { mergeDocuments, registerDocs, type OpenApiDocument } from '../../src/http/docs.js';
import { openUpstreams } from '../../src/infrastructure/upstreams.js';

/** Serves `document()` at /openapi.json (null: 500) and counts the fetches. */
async function documentServer(t: Test, document: () => unknown) {
  let fetches = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== '/openapi.json') return void res.writeHead(404).end();
    fetches += 1;
    const body = document();
    if (body === undefined) return; // hangs
    res.writeHead(body === null ? 500 : 200, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, fetches: () => fetches };
}

const op = (summary: string, ref?: string) => ({
  get: {
    summary,
    responses: { 200: { description: 'ok', ...(ref ? { content: { 'application/json': { schema: { $ref: ref } } } } : {}) } },
  },
});

function identityDocument(summary = 'register') {
  return {
    openapi: '3.1.0',
    info: { title: 'elcorp-identity', version: '0.1.0' },
    servers: [{ url: 'http://identity.internal:8081' }],
    tags: [{ name: 'auth' }],
    paths: {
      '/api/v1/auth/register': { ...op(summary, '#/components/schemas/User'), servers: [{ url: 'http://identity.internal:8081' }] },
      '/api/v1/users/{id}': op('user'),
      '/.well-known/jwks.json': op('jwks'),
      '/api/v1/payments/hijack': op('not identity\'s'),
      '/internal/reindex': op('internal'),
    },
    components: {
      schemas: { User: { type: 'object', properties: { roles: { $ref: '#/components/schemas/Roles' } } }, Roles: { type: 'array' } },
      securitySchemes: { dpop: { type: 'http', scheme: 'DPoP' } },
    },
  };
}

const paymentsDocument = {
  openapi: '3.1.0',
  info: { title: 'elcorp-payments', version: '0.1.0' },
  tags: [{ name: 'auth' }, { name: 'transfers' }],
  paths: { '/api/v1/payments/transfers': op('transfers', '#/components/schemas/User') },
  components: { schemas: { User: { type: 'string' } } },
};

async function gatewayWithDocs(t: Test, urls: { identity: string; payments: string; governance: string; compliance: string }, clock = { nowMs: 0 }) {
  const upstreams = openUpstreams({ urls, connectionsMax: 2, timeoutMs: 5_000, circuit: { failureRatio: 1, minimumRequests: 5, windowMs: 60_000 }, circuitOpenMs: 1_000 });
  const app = await buildApp({ service: 'gateway', logger: createLogger({ service: 'gateway', level: 'silent' }), openapiRoute: false });
  app.addHook('onClose', () => upstreams.close());
  t.teardown(() => app.close());
  app.get('/gateway-own', { schema: { querystring: z.object({ q: z.string() }) } }, async () => ({}));
  await registerDocs(app, { upstreams, fetchTimeoutMs: 300, now: () => clock.nowMs });
  return app;
}

t.test('/openapi.json merges each upstream document, limited to the prefixes it owns', async (t) => {
  const identity = await documentServer(t, () => identityDocument());
  const payments = await documentServer(t, () => paymentsDocument);
  const compliance = await documentServer(t, () => null);
  const app = await gatewayWithDocs(t, { identity: identity.url, payments: payments.url, governance: `http://127.0.0.1:${await freePort()}`, compliance: compliance.url });

  const res = await app.inject('/openapi.json');
  t.equal(res.statusCode, 200);
  const doc = res.json();
  t.equal(doc.info.title, 'Elcorp API', 'the merged document speaks for the whole platform, not the gateway process');
  t.same(Object.keys(doc.paths).sort(), ['/.well-known/jwks.json', '/api/v1/auth/register', '/api/v1/payments/transfers', '/api/v1/users/{id}', '/gateway-own']);
  t.equal(doc.paths['/api/v1/auth/register'].get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/identity.User');
  t.equal(doc.paths['/api/v1/payments/transfers'].get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/payments.User');
  t.same(doc.components.schemas['identity.User'].properties.roles, { $ref: '#/components/schemas/identity.Roles' }, 'references inside components follow');
  t.same(doc.components.schemas['payments.User'], { type: 'string' }, 'equal names from two services do not collide');
  t.match(doc.components.securitySchemes, { dpop: { type: 'http', scheme: 'DPoP' } });
  t.same(doc.tags, [{ name: 'auth' }, { name: 'transfers' }]);
  t.notMatch(res.body, /internal|127\.0\.0\.1/, 'no internal host or internal route reaches the client');
  t.notOk(doc.servers);
});

t.test('documents are cached for a minute; a missing upstream is asked again after a few seconds', async (t) => {
  const clock = { nowMs: 0 };
  let summary = 'first';
  let governanceUp = false;
  const identity = await documentServer(t, () => identityDocument(summary));
  const payments = await documentServer(t, () => paymentsDocument);
  const governance = await documentServer(t, () => (governanceUp ? { paths: { '/api/v1/governance/roles': op('roles') } } : null));
  const compliance = await documentServer(t, () => 'not json');
  const app = await gatewayWithDocs(t, { identity: identity.url, payments: payments.url, governance: governance.url, compliance: compliance.url }, clock);
  const registerSummary = async () => (await app.inject('/openapi.json')).json().paths['/api/v1/auth/register'].get.summary;

  await Promise.all([app.inject('/openapi.json'), app.inject('/openapi.json'), app.inject('/openapi.json')]);
  t.equal(identity.fetches(), 1, 'concurrent requests share one fetch');
  summary = 'second';
  governanceUp = true;
  clock.nowMs += 4_000;
  t.equal(await registerSummary(), 'first');
  t.notOk((await app.inject('/openapi.json')).json().paths['/api/v1/governance/roles']);
  clock.nowMs += 1_001;
  t.ok((await app.inject('/openapi.json')).json().paths['/api/v1/governance/roles'], 'the missing one is retried after 5 s');
  t.equal(await registerSummary(), 'first', 'the present one is still cached');
  clock.nowMs += 55_000;
  t.equal(await registerSummary(), 'second', 'and refreshed after a minute');
  t.equal(identity.fetches(), 2);
});

t.test('a slow upstream is left out within the fetch timeout', async (t) => {
  const slow = await documentServer(t, () => undefined);
  const payments = await documentServer(t, () => paymentsDocument);
  const app = await gatewayWithDocs(t, { identity: slow.url, payments: payments.url, governance: slow.url, compliance: slow.url });
  const started = Date.now();
  const res = await app.inject('/openapi.json');
  t.ok(Date.now() - started < 2_000, 'answered without waiting for the slow ones');
  t.same(Object.keys(res.json().paths).sort(), ['/api/v1/payments/transfers', '/gateway-own']);
});

t.test('/docs shows Swagger UI on the merged document', async (t) => {
  const identity = await documentServer(t, () => identityDocument());
  const down = `http://127.0.0.1:${await freePort()}`;
  const app = await gatewayWithDocs(t, { identity: identity.url, payments: down, governance: down, compliance: down });
  const page = await app.inject('/docs');
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.body, /swagger/i);
  const json = await app.inject('/docs/json');
  t.equal(json.statusCode, 200);
  t.same(json.json(), (await app.inject('/openapi.json')).json(), 'the UI loads the merged document');
  const yaml = await app.inject('/docs/yaml');
  t.match(yaml.body, /\/api\/v1\/auth\/register/);
  t.equal((await app.inject('/docs/static/swagger-initializer.js')).statusCode, 200);
});

t.test('the merged document and Swagger UI\'s files are made once and revalidated by their ETag', async (t) => {
  const clock = { nowMs: 0 };
  let summary = 'first';
  const identity = await documentServer(t, () => identityDocument(summary));
  const down = `http://127.0.0.1:${await freePort()}`;
  const app = await gatewayWithDocs(t, { identity: identity.url, payments: down, governance: down, compliance: down }, clock);

  const first = await app.inject('/openapi.json');
  const etag = first.headers.etag as string;
  t.match(etag, /^"[\w-]+"$/, 'a strong validator');
  t.equal(first.headers['cache-control'], 'public, no-cache', 'caches keep it but ask again');
  const again = await app.inject('/openapi.json');
  t.equal(again.headers.etag, etag);
  t.equal(again.body, first.body, 'the same bytes while no upstream document changed');
  for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
    const revalidated = await app.inject({ url: '/openapi.json', headers: { 'if-none-match': ifNoneMatch } });
    t.equal(revalidated.statusCode, 304, `If-None-Match: ${ifNoneMatch}`);
    t.equal(revalidated.body, '', 'nothing sent again');
  }
  t.equal((await app.inject({ url: '/openapi.json', headers: { 'if-none-match': '"other"' } })).statusCode, 200);

  const ui = await app.inject('/docs/json');
  t.equal(ui.headers.etag, etag, 'Swagger UI loads the same representation');
  t.same(ui.json(), first.json());
  const yaml = await app.inject('/docs/yaml');
  t.match(yaml.headers['content-type'], /^application\/x-yaml/);
  t.same(parseYaml(yaml.body), first.json(), 'the YAML form says the same');

  summary = 'second';
  clock.nowMs += 60_001;
  const changed = await app.inject('/openapi.json');
  t.not(changed.headers.etag, etag, 'a new upstream document makes a new representation');
  t.equal(changed.json().paths['/api/v1/auth/register'].get.summary, 'second');
  t.equal((await app.inject({ url: '/openapi.json', headers: { 'if-none-match': etag } })).statusCode, 200, 'the old validator no longer matches');
  t.equal(parseYaml((await app.inject('/docs/yaml')).body).paths['/api/v1/auth/register'].get.summary, 'second');

  const onDisk = await readFile(join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static', 'swagger-ui-bundle.js'));
  const bundle = await app.inject('/docs/static/swagger-ui-bundle.js');
  t.equal(bundle.statusCode, 200);
  t.match(bundle.headers['content-type'], /^application\/javascript/);
  t.ok(bundle.rawPayload.equals(onDisk), 'Swagger UI\'s bundle, byte for byte');
  t.equal((await app.inject({ url: '/docs/static/swagger-ui-bundle.js', headers: { 'if-none-match': bundle.headers.etag as string } })).statusCode, 304);
  t.equal((await app.inject('/docs/static/no-such-file.js')).statusCode, 404, 'a name Swagger UI does not ship is not found');
});

t.test('registerDocs refuses an app that already serves /openapi.json', async (t) => {
  const upstreams = openUpstreams({ urls: { identity: 'http://127.0.0.1:1', payments: 'http://127.0.0.1:1', governance: 'http://127.0.0.1:1', compliance: 'http://127.0.0.1:1' }, connectionsMax: 1, timeoutMs: 100, circuit: { failureRatio: 1, minimumRequests: 1, windowMs: 60_000 }, circuitOpenMs: 100 });
  t.teardown(() => upstreams.close());
  const app = await buildApp({ service: 'gateway', logger: createLogger({ service: 'gateway', level: 'silent' }) });
  t.teardown(() => app.close());
  await t.rejects(registerDocs(app, { upstreams }), /openapiRoute: false/);
});

t.test('mergeDocuments keeps the gateway\'s own paths and components first', async (t) => {
  const own: OpenApiDocument = { openapi: '3.1.0', paths: { '/api/v1/auth/login': { post: {} } }, components: { schemas: { Problem: { type: 'object' } } } };
  const merged = mergeDocuments(own, [['identity', { paths: { '/api/v1/auth/login': { post: { summary: 'theirs' } } }, components: { schemas: { Problem: {} } } }]]);
  t.same(merged.paths?.['/api/v1/auth/login'], { post: {} });
  t.same(Object.keys(merged.components?.['schemas'] ?? {}), ['Problem', 'identity.Problem']);
  t.same(own.paths, { '/api/v1/auth/login': { post: {} } }, 'the input is not modified');
  t.same(Object.keys(own.components?.['schemas'] ?? {}), ['Problem']);
});
