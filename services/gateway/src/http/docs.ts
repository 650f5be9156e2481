import type { App } from '@elcorp/kit';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { stringify as yamlOf } from 'yaml';
import { upstreamFor, type Upstream } from '../domain/routes.js';
import { elcorpLogoSvg, explorerCss, explorerScript, explorerTitle } from './explorer.js';
import { fetchFrom, type Upstreams, type UpstreamService } from '../infrastructure/upstreams.js';
import { representationOf, sendRepresentation, type Representation } from './representation.js';

/** The parts of an OpenAPI 3.1 document the merge touches; the rest is carried as is. */
export interface OpenApiDocument {
  paths?: Record<string, unknown>;
  components?: Record<string, Record<string, unknown>>;
  tags?: Array<{ name: string }>;
  [member: string]: unknown;
}

export interface DocsDeps {
  upstreams: Upstreams;
  fetchTimeoutMs?: number;
  cacheMs?: number;
  now?: () => number;
}

const documentMaxBytes = 4 * 1024 * 1024;
/** A missing upstream is asked again sooner than a present one is refreshed. */
const missingCacheMs = 5_000;

/**
 * `/openapi.json`: the gateway's own document merged with each upstream's, and `/docs`
 * (Swagger UI) showing it. The kit must be built with `openapiRoute: false`.
 */
export async function registerDocs(app: App, deps: DocsDeps): Promise<void> {
  if (app.hasRoute({ method: 'GET', url: '/openapi.json' })) {
    throw new Error('registerDocs serves /openapi.json: build the app with openapiRoute: false');
  }
  const merged = mergedDocument(app, upstreamDocuments(deps));
  app.get('/openapi.json', { schema: { hide: true } }, async (request, reply) => sendRepresentation(request, reply, (await merged()).json));

  // Swagger UI's files from memory: @fastify/static would read them from disk per request.
  const assets = await swaggerUiAssets();
  app.addHook('onRoute', (route) => {
    if (route.url !== '/docs/static/*') return;
    const fromMemory: onRequestHookHandler = async (request, reply) => {
      const asset = assets.get((request.params as { '*': string })['*']);
      if (asset) return sendRepresentation(request, reply, asset);
    };
    route.onRequest = [...[route.onRequest ?? []].flat(), fromMemory];
  });

  // Swagger UI loads /docs/json (or /docs/yaml): the merged document, answered in a hook.
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiHooks: {
      preHandler: async (request: FastifyRequest, reply: FastifyReply) => {
        const route = request.routeOptions.url ?? '';
        if (route.endsWith('/json')) return sendRepresentation(request, reply, (await merged()).json);
        if (route.endsWith('/yaml')) return sendRepresentation(request, reply, (await merged()).yaml());
      },
    },
    logo: { type: 'image/svg+xml', content: Buffer.from(elcorpLogoSvg), href: '/docs', target: '_self' },
    theme: {
      title: explorerTitle,
      css: [{ filename: 'elcorp.css', content: explorerCss }],
      js: [{ filename: 'elcorp-explorer.js', content: explorerScript }],
      favicon: [{ filename: 'favicon.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: Buffer.from(elcorpLogoSvg) }],
    },
    uiConfig: {
      persistAuthorization: false,
      // Serialised into the page as their compiled source (so they name nothing of this
      // module): they hand each request and response to the explorer script's DPoP client.
      requestInterceptor: ((request: unknown) => (globalThis as unknown as ExplorerPage).elcorpExplorer.requestInterceptor(request)) as never,
      responseInterceptor: ((response: unknown) => (globalThis as unknown as ExplorerPage).elcorpExplorer.responseInterceptor(response)) as never,
    },
  });
}

/** What the merged document says about itself, in place of the gateway's own service title. */
const publicInfo = {
  title: 'Elcorp API',
  version: '1',
  description:
    'The public API of the Elcorp platform: identity, payments, governance and compliance behind one gateway. ' +
    'Protected routes need a DPoP-bound access token (RFC 9449): sign in at the top of this page and every "Try it out" request is signed with a device key made in your browser.',
};

/** The browser page as the interceptors see it: the explorer script's client on window. */
interface ExplorerPage {
  elcorpExplorer: { requestInterceptor(request: unknown): unknown; responseInterceptor(response: unknown): unknown };
}

interface MergedDocument {
  json: Representation;
  /** Made on first request: YAML takes ~40 ms to write for the whole API, and few ask for it. */
  yaml(): Representation;
}

/**
 * The merged document, merged and serialised again only when an upstream's document was
 * fetched anew (at most once a minute each, upstreamDocuments): merging and serialising it
 * took ~7 ms of the event loop, per request, for anyone who asked.
 */
function mergedDocument(app: App, documents: ReturnType<typeof upstreamDocuments>): () => Promise<MergedDocument> {
  let made: { from: Array<[Upstream, OpenApiDocument]>; merged: MergedDocument } | undefined;
  return async () => {
    const from = await documents.current();
    if (made && sameDocuments(made.from, from)) return made.merged;
    const document = { ...mergeDocuments(app.swagger() as OpenApiDocument, from), info: publicInfo };
    let yaml: Representation | undefined;
    const merged: MergedDocument = {
      json: representationOf(JSON.stringify(document), 'application/json; charset=utf-8'),
      yaml: () => (yaml ??= representationOf(yamlOf(document), 'application/x-yaml')),
    };
    made = { from, merged };
    return merged;
  };
}

/** The same upstream documents, fetched once: the cache hands out the same objects until it fetches again. */
function sameDocuments(a: Array<[Upstream, OpenApiDocument]>, b: Array<[Upstream, OpenApiDocument]>): boolean {
  return a.length === b.length && a.every(([name, document], i) => b[i]![0] === name && b[i]![1] === document);
}

const assetTypes: Readonly<Record<string, string>> = {
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * Swagger UI's files (about 4 MB), read once. @fastify/static reads a file per request, 64 KiB
 * at a time through libuv's thread pool: ~20 ms of CPU for each download of the 1.7 MB bundle.
 */
async function swaggerUiAssets(): Promise<Map<string, Representation>> {
  const dir = join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static');
  const assets = new Map<string, Representation>();
  for (const name of await readdir(dir)) {
    const contentType = assetTypes[extname(name)];
    if (contentType) assets.set(name, representationOf(await readFile(join(dir, name)), contentType));
  }
  return assets;
}

type Fetched = { document: OpenApiDocument | undefined; expiresAt: number };

/** Each upstream's document, cached; one fetch in flight per upstream whatever the callers. */
function upstreamDocuments(deps: DocsDeps) {
  const now = deps.now ?? Date.now;
  const cacheMs = deps.cacheMs ?? 60_000;
  const timeoutMs = deps.fetchTimeoutMs ?? 2_000;
  const cache = new Map<Upstream, Fetched>();
  const inFlight = new Map<Upstream, Promise<OpenApiDocument | undefined>>();

  const refresh = async (upstream: UpstreamService) => {
    const document = await fetchDocument(upstream, timeoutMs);
    cache.set(upstream.name, { document, expiresAt: now() + (document ? cacheMs : missingCacheMs) });
    return document;
  };
  const documentOf = (upstream: UpstreamService): Promise<OpenApiDocument | undefined> => {
    const cached = cache.get(upstream.name);
    if (cached && cached.expiresAt > now()) return Promise.resolve(cached.document);
    let pending = inFlight.get(upstream.name);
    if (!pending) {
      pending = refresh(upstream).finally(() => inFlight.delete(upstream.name));
      inFlight.set(upstream.name, pending);
    }
    return pending;
  };
  return {
    async current(): Promise<Array<[Upstream, OpenApiDocument]>> {
      const all = deps.upstreams.all();
      const documents = await Promise.all(all.map(documentOf));
      return all.flatMap((upstream, i) => (documents[i] ? [[upstream.name, documents[i]] as [Upstream, OpenApiDocument]] : []));
    },
  };
}

/** An upstream that is down, slow or answers nonsense is simply left out of the merge. */
async function fetchDocument(upstream: UpstreamService, timeoutMs: number): Promise<OpenApiDocument | undefined> {
  try {
    const { statusCode, body } = await fetchFrom(upstream, '/openapi.json', { timeoutMs, maxBytes: documentMaxBytes });
    if (statusCode !== 200) return undefined;
    const document: unknown = JSON.parse(body.toString('utf8'));
    const paths = (document as OpenApiDocument | null)?.paths;
    return typeof paths === 'object' && paths !== null ? (document as OpenApiDocument) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The gateway's document plus, from each upstream, only the paths that upstream is routed
 * (a service cannot document another's prefix or its own internal routes). Components are
 * renamed `<upstream>.<name>` with their references, so equal names cannot collide; security
 * schemes keep their names because operations refer to them by name.
 */
export function mergeDocuments(own: OpenApiDocument, upstreams: Array<[Upstream, OpenApiDocument]>): OpenApiDocument {
  const paths: Record<string, unknown> = { ...own.paths };
  const components: Record<string, Record<string, unknown>> = {};
  for (const [section, entries] of Object.entries(own.components ?? {})) components[section] = { ...entries };
  const tags = [...(own.tags ?? [])];

  for (const [name, document] of upstreams) {
    const renamed = withNamespacedRefs(document, name) as OpenApiDocument;
    for (const [path, item] of Object.entries(renamed.paths ?? {})) {
      if (upstreamFor(path) === name && !(path in paths)) paths[path] = withoutServers(item);
    }
    for (const [section, entries] of Object.entries(renamed.components ?? {})) {
      const target = (components[section] ??= {});
      for (const [key, value] of Object.entries(entries ?? {})) {
        const merged = section === 'securitySchemes' ? key : `${name}.${key}`;
        if (!(merged in target)) target[merged] = value;
      }
    }
    for (const tag of renamed.tags ?? []) if (!tags.some((known) => known.name === tag.name)) tags.push(tag);
  }
  return {
    ...own,
    paths,
    ...(Object.keys(components).length > 0 ? { components } : {}),
    ...(tags.length > 0 ? { tags } : {}),
  };
}

/** Rewrites `#/components/<section>/<key>` references (except security schemes) to the namespaced names. */
function withNamespacedRefs(value: unknown, name: Upstream): unknown {
  if (Array.isArray(value)) return value.map((item) => withNamespacedRefs(item, name));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] =
      key === '$ref' && typeof child === 'string' && /^#\/components\/(?!securitySchemes\/)[^/]+\//.test(child)
        ? child.replace(/^(#\/components\/[^/]+\/)/, `$1${name}.`)
        : withNamespacedRefs(child, name);
  }
  return out;
}

/** Upstream `servers` would point clients at internal hosts; the gateway's origin serves all. */
function withoutServers(item: unknown): unknown {
  if (typeof item !== 'object' || item === null) return item;
  const { servers: _servers, ...rest } = item as Record<string, unknown>;
  for (const [method, operation] of Object.entries(rest)) {
    if (typeof operation === 'object' && operation !== null && 'servers' in operation) {
      const { servers: _dropped, ...kept } = operation as Record<string, unknown>;
      rest[method] = kept;
    }
  }
  return rest;
}
