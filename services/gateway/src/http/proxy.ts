import { attestsUnder, attestVerifiedProof, proofAttestationHeader } from '@elcorp/auth';
import { AppError, clientAddressSignatureHeader, defaultBodyLimitBytes, developmentClientAddressSecret, kitErrors, pathOf, signClientAddress, type App } from '@elcorp/kit';
import type { FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { Outcome } from '../domain/circuit-breaker.js';
import { upstreamFor } from '../domain/routes.js';
import { ClientPresence, type UpstreamAnswer } from '../infrastructure/upstream-exchange.js';
import { send, UpstreamError, type ReplayableBody, type Upstreams, type UpstreamService } from '../infrastructure/upstreams.js';
import { clientAddressHeader, internalHeaderPrefix } from './principal.js';

export interface ProxyDeps {
  upstreams: Upstreams;
  /** The same limit as the kit's JSON parsers (1 MiB), enforced while the body streams. */
  bodyLimitBytes?: number;
  /** CLIENT_ADDRESS_SECRET: signs the forwarded client address and the proof attestation so services can believe them. */
  clientAddressSecret?: string;
}

/**
 * Route patterns covering every prefix of domain/routes.ts; upstreamFor decides per request,
 * so a path a pattern catches but the table does not route still answers the kit's 404.
 */
export const routedPatterns = [
  '/api/v1/auth/*',
  '/api/v1/users',
  '/api/v1/users/*',
  '/.well-known/jwks.json',
  '/api/v1/payments/*',
  '/api/v1/governance/*',
  '/api/v1/compliance/*',
] as const;

const methods: HTTPMethods[] = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'];
const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
/** Answers in which the upstream itself says it cannot serve now. */
const upstreamFaultStatuses = new Set([502, 503, 504]);

/** Answers of the gateway itself when an upstream gives none; the detail never names a host. */
export const proxyErrors = {
  unavailable: (retryAfterMs: number, cause?: unknown) =>
    new AppError(503, 'upstream_unavailable', 'Service unavailable', {
      detail: 'the service behind this path cannot answer now; retry later',
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
      cause,
    }),
  timeout: (cause: unknown) =>
    new AppError(504, 'upstream_timeout', 'Gateway timeout', { detail: 'the service behind this path did not answer in time', cause }),
  badGateway: (cause: unknown) =>
    new AppError(502, 'bad_gateway', 'Bad gateway', { detail: 'the service behind this path failed to answer', cause }),
  // The rest of the body is never read: the connection cannot carry another request.
  requestTimeout: (cause: unknown) =>
    new AppError(408, 'request_timeout', 'Request timeout', {
      detail: 'the request body did not arrive in time',
      headers: { connection: 'close' },
      cause,
    }),
  // The rest of an oversized body is discarded unread: the connection cannot carry another request.
  payloadTooLarge: (limitBytes: number) =>
    new AppError(413, 'payload_too_large', 'Payload too large', { detail: `the body exceeds ${limitBytes} bytes`, headers: { connection: 'close' } }),
};

/**
 * Forwards the routed prefixes to their services, bodies streamed both ways. Registered in
 * its own encapsulated context so its pass-through body parser leaves the gateway's own
 * routes (health, documents) with the kit's JSON parser. Hooks the gateway adds to the root
 * (authentication, rate limits) must be added before this is called to apply here.
 */
export async function registerProxy(app: App, deps: ProxyDeps): Promise<void> {
  const limitBytes = deps.bodyLimitBytes ?? defaultBodyLimitBytes;
  const secret = deps.clientAddressSecret ?? developmentClientAddressSecret;
  const signAddress = clientAddressSigner(secret);
  const attestProof = proofAttester(secret);
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // Any content type, or none: the body is the client's stream, unread, for the upstream.
    scope.addContentTypeParser('*', (request, payload, done) => {
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > limitBytes) return done(kitErrors.payloadTooLarge(limitBytes), undefined);
      done(null, new StreamedBody(payload, limitBytes));
    });
    for (const url of routedPatterns) {
      scope.route({ method: methods, url, exposeHeadRoute: false, schema: { hide: true }, handler: (request, reply) => forward(deps.upstreams, signAddress, attestProof, request, reply) });
    }
  });
}

async function forward(upstreams: Upstreams, signAddress: ClientAddressSigner, attestProof: ProofAttester, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const path = pathOf(request.url);
  const name = upstreamFor(path);
  // Dot segments would let the path the gateway checked differ from the one a server resolves.
  if (!name || /(^|\/)(\.|%2e){1,2}(\/|$)/i.test(path)) throw kitErrors.notFound(`no route for ${request.method} ${path}`);
  const upstream = upstreams.get(name);
  const admission = upstream.circuit.admit();
  if (!admission.admitted) throw proxyErrors.unavailable(admission.retryAfterMs);

  const body = request.body instanceof StreamedBody ? request.body : undefined;
  const client = new ClientPresence();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) client.leave();
  });
  let settled = false;
  const settle = (outcome: Outcome) => {
    settled = true;
    upstream.circuit.record(admission.ticket, outcome);
  };
  try {
    const answer = await send(
      upstream,
      {
        method: request.method,
        path: request.url,
        headers: upstreamRequestHeaders(request, body !== undefined, signAddress, attestProof),
        ...(body ? { body } : {}),
        idempotent: idempotentMethods.has(request.method),
        client,
      },
      upstreams.timeoutMs,
    );
    // The client gets every answer as it is. Only 502/503/504 say the upstream cannot serve
    // (a 500 is one request's bug, often provoked by its input): only they count against it.
    settle(upstreamFaultStatuses.has(answer.statusCode) ? 'failure' : 'success');
    reply.code(answer.statusCode);
    if (Buffer.isBuffer(answer.body)) return sendWhole(reply, answer.statusCode, answer.headers, answer.body, upstream);
    reply.headers(clientResponseHeaders(answer.headers, upstream));
    return reply.send(answer.body);
  } catch (err) {
    if (body?.tooLarge) throw proxyErrors.payloadTooLarge(body.limitBytes);
    if (client.gone || !(err instanceof UpstreamError)) throw err;
    // The client's slow body is no verdict on the upstream: it stays 'abandoned'.
    if (err.failure === 'client_timeout') throw proxyErrors.requestTimeout(err);
    settle('failure');
    throw problemFor(err, upstream);
  } finally {
    // Neither answer nor upstream failure (client gone, body too large): no verdict on the upstream.
    if (!settled) settle('abandoned');
  }
}

/**
 * A gathered answer, written as the head and the body in one end(): the gateway's own headers
 * (security, request id, rate limits, CORS) with the upstream's over them, as reply.headers()
 * would merge them. The reply is taken over from fastify for this write only (its onSend
 * stage has nothing to do for a proxied body); onResponse hooks still run when it finishes.
 */
function sendWhole(reply: FastifyReply, statusCode: number, upstreamHeaders: UpstreamAnswer['headers'], body: Buffer, upstream: UpstreamService): FastifyReply {
  const headers: OutgoingHttpHeaders = Object.assign(Object.create(null) as OutgoingHttpHeaders, reply.getHeaders());
  addClientResponseHeaders(headers, upstreamHeaders, upstream);
  try {
    reply.raw.writeHead(statusCode, headers);
  } catch (err) {
    // A header node:http will not write (nothing was sent): the client gets a 502 from fastify.
    throw proxyErrors.badGateway(err);
  }
  reply.hijack();
  if (reply.request.method === 'HEAD' || statusCode === 204 || statusCode === 304) reply.raw.end();
  else reply.raw.end(body);
  return reply;
}

/** The cause (with the internal host and port) reaches the log through the error handler, never the body. */
function problemFor(err: UpstreamError, upstream: UpstreamService): AppError {
  if (err.failure === 'unreachable') return proxyErrors.unavailable(upstream.circuit.retryAfterMs(), err);
  return err.failure === 'timeout' ? proxyErrors.timeout(err) : proxyErrors.badGateway(err);
}

/** RFC 9110 §7.6.1: meaningful for one connection only, never forwarded. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function isHopByHop(name: string, connectionTokens: ReadonlySet<string>): boolean {
  return hopByHop.has(name) || name.startsWith('proxy-') || connectionTokens.has(name);
}

const noTokens: ReadonlySet<string> = new Set();
/** The usual values name no header beyond the hop-by-hop ones: no set built per request for them. */
const plainConnectionValues = new Set(['keep-alive', 'close', 'Keep-Alive', 'Close']);

function connectionTokensOf(value: string | string[] | undefined): ReadonlySet<string> {
  if (value === undefined || (typeof value === 'string' && plainConnectionValues.has(value))) return noTokens;
  const list = Array.isArray(value) ? value.join(',') : value;
  return new Set(list.split(',').map((token) => token.trim().toLowerCase()).filter(Boolean));
}

/**
 * Headers the client may not set for the upstream: the gateway's own (`x-elcorp-*`, the
 * forwarding chain, the request id) and trace context, which the undici instrumentation
 * writes for the gateway's span when telemetry is on (the client's would bypass that span).
 */
const replacedNames = new Set(['forwarded', 'x-real-ip', 'x-request-id', 'host', 'expect', 'traceparent', 'tracestate', 'baggage']);
const replacedByGateway = (name: string) => replacedNames.has(name) || name.startsWith(internalHeaderPrefix) || name.startsWith('x-forwarded-');

/** Signs a client address for the upstreams (kit's signClientAddress). */
export type ClientAddressSigner = (address: string) => string;

/** Most distinct addresses signed within one second; past it the second's signatures start over. */
const signedAddressesMax = 1_000;

/**
 * A signature names its second and the address, nothing else: each address is signed once a
 * second, not once per request (an HMAC was ~2% of the gateway's CPU per proxied request).
 */
export function clientAddressSigner(secret: string, now: () => number = Date.now): ClientAddressSigner {
  let second = Number.NaN;
  const signed = new Map<string, string>();
  return (address) => {
    const nowMs = now();
    const atSeconds = Math.floor(nowMs / 1000);
    if (atSeconds !== second || signed.size >= signedAddressesMax) {
      second = atSeconds;
      signed.clear();
    }
    let signature = signed.get(address);
    if (signature === undefined) {
      signature = signClientAddress(secret, address, nowMs);
      signed.set(address, signature);
    }
    return signature;
  };
}

/** The attestation header's value for a request whose token and proof the gateway verified, else undefined. */
export type ProofAttester = (request: FastifyRequest) => string | undefined;

/**
 * Vouches, for the upstream, that this request's DPoP proof was verified here (@elcorp/auth's
 * proof-attestation.ts), so identity need not verify it and record its jti a second time. Only
 * for token requests: authentication set request.principal after checking the proof against
 * the token, and the client's own attestation header never gets this far (x-elcorp-* is
 * replaced). The path is the one the proof's htu was checked against.
 */
export function proofAttester(secret: string): ProofAttester {
  // Under a public development secret an attestation would vouch for nothing: none is made.
  if (!attestsUnder(secret)) return () => undefined;
  return (request) => {
    const { authorization, dpop: proof } = request.headers;
    if (request.principal === undefined || typeof authorization !== 'string' || typeof proof !== 'string') return undefined;
    return attestVerifiedProof(secret, { method: request.method, path: pathOf(request.url), authorization, proof });
  };
}

export function upstreamRequestHeaders(
  request: FastifyRequest,
  withBody: boolean,
  signAddress: ClientAddressSigner = (address) => signClientAddress(developmentClientAddressSecret, address),
  attestProof?: ProofAttester,
): Record<string, string | string[]> {
  const headers = request.headers as IncomingHttpHeaders;
  const tokens = connectionTokensOf(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || isHopByHop(name, tokens) || replacedByGateway(name)) continue;
    if (!withBody && name === 'content-length') continue;
    out[name] = value;
  }
  const clientAddress = request.clientAddress ?? request.ip;
  // The standard header for generic tooling; the internal one cannot be mistaken for a chain.
  out['x-forwarded-for'] = clientAddress;
  out[clientAddressHeader] = clientAddress;
  out[clientAddressSignatureHeader] = signAddress(clientAddress);
  const attestation = attestProof?.(request);
  if (attestation !== undefined) out[proofAttestationHeader] = attestation;
  out['x-forwarded-proto'] = request.protocol;
  out['x-forwarded-host'] = request.host;
  out['x-request-id'] = request.id;
  return out;
}

export function clientResponseHeaders(headers: IncomingHttpHeaders, upstream: Pick<UpstreamService, 'origin' | 'basePath'>): Record<string, string | string[]> {
  return addClientResponseHeaders(Object.create(null) as Record<string, string | string[]>, headers, upstream);
}

/** Adds to `out` the upstream's headers a client may see: no hop-by-hop or internal ones, no internal host. */
function addClientResponseHeaders<T extends OutgoingHttpHeaders>(
  out: T,
  headers: IncomingHttpHeaders,
  upstream: Pick<UpstreamService, 'origin' | 'basePath'>,
): T {
  const tokens = connectionTokensOf(headers.connection);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || isHopByHop(name, tokens) || name.startsWith(internalHeaderPrefix) || name === 'x-request-id') continue;
    (out as OutgoingHttpHeaders)[name] = name === 'location' && typeof value === 'string' ? publicLocation(value, upstream) : value;
  }
  return out;
}

/** A redirect to the upstream's own origin would name an internal host: make it relative. */
function publicLocation(location: string, upstream: Pick<UpstreamService, 'origin' | 'basePath'>): string {
  if (!URL.canParse(location)) return location;
  const target = new URL(location);
  if (target.origin !== upstream.origin) return location;
  const path = upstream.basePath && target.pathname.startsWith(`${upstream.basePath}/`) ? target.pathname.slice(upstream.basePath.length) : target.pathname;
  return `${path}${target.search}${target.hash}`;
}

/**
 * The client's body as the upstream reads it, counted on the way: past the limit the
 * attempt's stream fails, undici aborts the upstream request and the client gets 413.
 * Nothing is read from the client until an attempt asks, so a connection that was refused
 * leaves the body intact for a retry.
 */
export class StreamedBody implements ReplayableBody {
  consumed = false;
  tooLarge = false;
  ended = false;
  #bytes = 0;
  /** The upstream has not taken what was pushed: any wait now is the upstream's, not the client's. */
  #backpressured = false;
  #endListeners: Array<() => void> = [];
  /** All of the body, when it had arrived before the first attempt. */
  #whole: Buffer | undefined;

  constructor(
    private readonly source: Readable,
    readonly limitBytes: number,
  ) {}

  get awaitingClient(): boolean {
    return this.consumed && !this.ended && !this.#backpressured;
  }

  onEnd(listener: () => void): void {
    if (this.ended) listener();
    else this.#endListeners.push(listener);
  }

  open(): Readable | Buffer {
    const whole = this.#whole ?? this.#takeWhole();
    if (whole) return whole;
    const source = this.source;
    let detach: (() => void) | undefined;
    const out = new Readable({
      read: () => {
        this.#backpressured = false;
        if (!detach) detach = this.#attach(out);
        source.resume();
      },
      destroy: (err, callback) => {
        detach?.();
        callback(err);
      },
    });
    return out;
  }

  sending(): void {
    this.consumed = true;
  }

  /**
   * The usual body (a small JSON) arrives with the request head, so by the time an attempt
   * asks, node:http holds all of it: it goes up as one Buffer, written with the request's head
   * in one go, instead of through two streams and their per-request listeners and ticks.
   */
  #takeWhole(): Buffer | undefined {
    const source = this.source as Readable & { complete?: boolean };
    // `complete`: node:http parsed the whole message (a replayed login body has no such flag).
    // An empty chunked body keeps the stream, which announces its length 0 to the upstream.
    const buffered = source.readableLength;
    if (this.consumed || source.complete !== true || source.readableFlowing || buffered === 0 || buffered > this.limitBytes) return undefined;
    this.#whole = source.read() as Buffer;
    this.#bytes = this.#whole.length;
    this.ended = true;
    for (const listener of this.#endListeners.splice(0)) listener();
    return this.#whole;
  }

  #attach(out: Readable): () => void {
    const source = this.source;
    this.consumed = true;
    const onData = (chunk: Buffer) => {
      this.#bytes += chunk.length;
      if (this.#bytes > this.limitBytes) {
        this.tooLarge = true;
        out.destroy(proxyErrors.payloadTooLarge(this.limitBytes));
      } else if (!out.push(chunk)) {
        this.#backpressured = true;
        source.pause();
      }
    };
    const onEnd = () => {
      this.ended = true;
      for (const listener of this.#endListeners.splice(0)) listener();
      out.push(null);
    };
    const onError = (err: Error) => out.destroy(err);
    const onClose = () => {
      if (!source.readableEnded) out.destroy(new Error('the client closed the request before its body ended'));
    };
    source.on('data', onData).once('end', onEnd).once('error', onError).once('close', onClose);
    // Once an attempt failed, nobody reads the rest: let it flow away (as fastify's own body
    // limit does) so the socket is not left holding unread bytes.
    return () => {
      source.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      source.resume();
    };
  }
}
