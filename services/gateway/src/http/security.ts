import cors from '@fastify/cors';
import { requestIdHeader, type App } from '@elcorp/kit';
import type { GatewayConfig } from '../config.js';
import type { Socket } from 'node:net';
import { clientAddressBehind, parseTrustedProxies, peerFactsOf, type PeerFacts, type TrustedProxies } from '../domain/client-address.js';
import { internalHeaderPrefix } from './principal.js';

/** JSON answers load nothing and are framed by nobody. */
export const apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

/**
 * Swagger UI (served under /docs) runs its own scripts and styles from the gateway, shows
 * inline SVG icons and calls the API on the same origin; nothing from elsewhere.
 */
export const docsContentSecurityPolicy =
  "default-src 'self'; base-uri 'self'; connect-src 'self'; font-src 'self' data:; form-action 'self'; frame-ancestors 'self'; " +
  "img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'";

/** Headers a browser client must read: ids for support, limits to pace itself, why it was refused. */
export const exposedHeaders = [
  requestIdHeader,
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'retry-after',
  'www-authenticate',
  'idempotent-replayed',
  'content-disposition',
];

export const allowedRequestHeaders = ['authorization', 'dpop', 'idempotency-key', 'content-type', requestIdHeader, 'traceparent', 'tracestate'];

/**
 * The headers helmet 8 sets by default (its CSP aside, which is per page below), as one
 * fixed map: @fastify/helmet ran a chain of a dozen middlewares on every request to write
 * these same constants, about 4% of the gateway's CPU per proxied request.
 */
export const securityHeaders: Readonly<Record<string, string>> = Object.freeze({
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
});

const apiHeaders = Object.freeze({ ...securityHeaders, 'content-security-policy': apiContentSecurityPolicy });
const docsHeaders = Object.freeze({ ...securityHeaders, 'content-security-policy': docsContentSecurityPolicy });

export interface SecurityDeps {
  config: Pick<GatewayConfig, 'CORS_ORIGINS'>;
  /** Where Swagger UI is served. */
  docsPrefix?: string;
}

/**
 * Browser-facing hardening: helmet's default headers (HSTS, nosniff, frame and referrer policies...),
 * a content security policy per kind of page, and CORS for the configured origins only.
 * Registered first, so preflights are answered before authentication (browsers send them
 * without credentials) and 401/429 answers carry CORS headers a browser app can read.
 */
export async function registerSecurity(app: App, deps: SecurityDeps): Promise<void> {
  const docsPrefix = deps.docsPrefix ?? '/docs';
  // Synchronous hooks take `done`: an async one costs a promise per request for nothing.
  app.addHook('onRequest', (request, reply, done) => {
    const url = request.url;
    const docs = url.startsWith(docsPrefix) && (url.length === docsPrefix.length || url[docsPrefix.length] === '/' || url[docsPrefix.length] === '?');
    reply.headers(docs ? docsHeaders : apiHeaders);
    done();
  });
  const origins = deps.config.CORS_ORIGINS;
  if (origins.length === 0) return; // no browser origin configured: browsers get no CORS grant
  await app.register(cors, {
    origin: origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: allowedRequestHeaders,
    exposedHeaders,
    // No cookies: credentials travel in headers a script sets itself.
    credentials: false,
    maxAge: 600,
    strictPreflight: true,
  });
}

export interface ClientAddressDeps {
  config: Pick<GatewayConfig, 'TRUST_PROXY'>;
}

/**
 * First thing on every request: headers only the gateway may set (x-elcorp-*, the verified
 * principal among them) are dropped whatever the caller sent, and request.clientAddress is
 * settled by TRUST_PROXY (domain/client-address.ts) for the limits, the logs and upstreams.
 */
export function registerClientAddress(app: App, deps: ClientAddressDeps): void {
  const trusted = parseTrustedProxies(deps.config.TRUST_PROXY);
  app.addHook('onRequest', (request, _reply, done) => {
    const headers = request.headers;
    for (const name in headers) {
      if (name.startsWith(internalHeaderPrefix)) delete headers[name];
    }
    request.clientAddress = clientAddressBehind(peerOfConnection(request.socket, trusted), headers['x-forwarded-for'], trusted);
    done();
  });
}

const peers = new WeakMap<Socket, PeerFacts>();

/**
 * What a connection's peer address tells, worked out once per connection: the connection
 * limit asks as it arrives, and a kept-alive connection carries many requests from one peer
 * (parsing and formatting the address per request was ~1% of a proxied request).
 */
export function peerOfConnection(socket: Socket, trusted: TrustedProxies): PeerFacts {
  let peer = peers.get(socket);
  if (peer === undefined) {
    peer = peerFactsOf(socket.remoteAddress, trusted);
    peers.set(socket, peer);
  }
  return peer;
}
