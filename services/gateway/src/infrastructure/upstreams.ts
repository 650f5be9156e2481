import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { AttemptStopped, UpstreamExchange, type ClientPresence, type UpstreamAnswer } from './upstream-exchange.js';
import { Pool, type Dispatcher } from 'undici';
import type { GatewayConfig } from '../config.js';
import { CircuitBreaker } from '../domain/circuit-breaker.js';
import type { Upstream } from '../domain/routes.js';

export interface UpstreamsOptions {
  urls: Record<Upstream, string>;
  connectionsMax: number;
  /** Deadline for response headers (queueing and connecting included) and for each body pause. */
  timeoutMs: number;
  circuit: { failureRatio: number; minimumRequests: number; windowMs: number };
  circuitOpenMs: number;
  now?: () => number;
}

/** One service behind the gateway: its kept-alive connections and its circuit. */
export interface UpstreamService {
  name: Upstream;
  pool: Pool;
  circuit: CircuitBreaker;
  /** Path of the configured URL without the trailing slash ('' for a bare origin). */
  basePath: string;
  origin: string;
}

export interface Upstreams {
  timeoutMs: number;
  get(name: Upstream): UpstreamService;
  all(): UpstreamService[];
  /** Drops every connection; in-flight calls fail. For app shutdown, after the server stopped. */
  close(): Promise<void>;
}

export function upstreamsOptionsFrom(config: GatewayConfig): UpstreamsOptions {
  return {
    urls: { identity: config.IDENTITY_URL, payments: config.PAYMENTS_URL, governance: config.GOVERNANCE_URL, compliance: config.COMPLIANCE_URL },
    connectionsMax: config.UPSTREAM_CONNECTIONS_MAX,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    circuit: { failureRatio: config.UPSTREAM_CIRCUIT_FAILURE_RATIO, minimumRequests: config.UPSTREAM_CIRCUIT_MIN_REQUESTS, windowMs: config.UPSTREAM_CIRCUIT_WINDOW_MS },
    circuitOpenMs: config.UPSTREAM_CIRCUIT_OPEN_MS,
  };
}

/** The pools stay empty until the first call, so opening them cannot fail start-up. */
export function openUpstreams(options: UpstreamsOptions): Upstreams {
  const now = options.now ?? Date.now;
  const services = new Map<Upstream, UpstreamService>();
  for (const [name, url] of Object.entries(options.urls) as Array<[Upstream, string]>) {
    const parsed = new URL(url);
    services.set(name, {
      name,
      origin: parsed.origin,
      basePath: parsed.pathname.replace(/\/+$/, ''),
      pool: new Pool(parsed.origin, {
        connections: options.connectionsMax,
        connectTimeout: Math.min(options.timeoutMs, 5_000),
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        keepAliveTimeout: 4_000,
      }),
      circuit: new CircuitBreaker({ ...options.circuit, openMs: options.circuitOpenMs, now }),
    });
  }
  return {
    timeoutMs: options.timeoutMs,
    get(name) {
      const service = services.get(name);
      if (!service) throw new Error(`no upstream configured for ${name}`);
      return service;
    },
    all: () => [...services.values()],
    async close() {
      await Promise.all([...services.values()].map((service) => service.pool.destroy()));
    },
  };
}

/**
 * Why a call got no usable answer; the proxy turns each into its own problem. All but
 * `client_timeout` are the upstream's faults: that one is a client too slow sending its body.
 */
export type UpstreamFailure = 'unreachable' | 'reset' | 'timeout' | 'failed' | 'client_timeout';

export class UpstreamError extends Error {
  constructor(
    readonly failure: UpstreamFailure,
    readonly upstream: Upstream,
    options: { cause?: unknown } = {},
  ) {
    super(`${upstream}: ${failure}`, options);
    this.name = 'UpstreamError';
  }
}

/** A client body that can be offered to several attempts until one of them starts reading it. */
export interface ReplayableBody {
  /**
   * The body for one attempt: a Buffer when the client had already sent all of it (undici
   * writes it with the request head in one go, no stream), else a stream that reads it.
   */
  open(): Readable | Buffer;
  /** An attempt's request is being written with the Buffer open() gave: it cannot be offered again. */
  sending(): void;
  /** True once an attempt read from the client (or is writing the whole body): the body cannot be offered again. */
  readonly consumed: boolean;
  /** The client has sent all of it. */
  readonly ended: boolean;
  /** An attempt is reading and waits for the client (not for the upstream to take what it has). */
  readonly awaitingClient: boolean;
  /** Calls `listener` once the client has sent the whole body (at once if it has). */
  onEnd(listener: () => void): void;
}

export interface OutgoingRequest {
  method: Dispatcher.HttpMethod;
  /** Path and query as the client sent them; the upstream's base path is prepended. */
  path: string;
  headers: Record<string, string | string[]>;
  body?: ReplayableBody;
  /** Safe to send twice (RFC 9110 idempotent methods): only then is a lost connection retried. */
  idempotent: boolean;
  /** Left when the client goes away: the attempt in progress stops, no other starts. */
  client?: ClientPresence;
}

/** Codes that mean the connection was never made: nothing reached the upstream. */
const unreachableCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
/** The connection dropped before the response began (e.g. a kept-alive socket the upstream closed). */
const resetCodes = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const timeoutCodes = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export const retriesMax = 2;
const retryBackoffMs = [50, 150];

/**
 * Sends one request. Resolves with the whole answer when the upstream announced a small
 * body, else at the response head with the body streaming (upstream-exchange.ts).
 * Retries a lost connection at most `retriesMax` times, and only when that cannot repeat an
 * effect: an idempotent method whose body nobody has read yet.
 */
export async function send(upstream: UpstreamService, request: OutgoingRequest, timeoutMs: number): Promise<UpstreamAnswer> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await attemptOnce(upstream, request, timeoutMs);
    } catch (err) {
      const retry =
        err instanceof UpstreamError &&
        (err.failure === 'unreachable' || err.failure === 'reset') &&
        request.idempotent &&
        !request.body?.consumed &&
        !request.client?.gone &&
        attempt < retriesMax;
      if (!retry) throw err;
      await sleep(retryBackoffMs[attempt] ?? 150);
    }
  }
}

function attemptOnce(upstream: UpstreamService, request: OutgoingRequest, timeoutMs: number): Promise<UpstreamAnswer> {
  const { client, body } = request;
  if (client?.gone) return Promise.reject(client.reason);
  return new Promise((resolve, reject) => {
    // undici's headersTimeout starts once the request is written; this deadline also covers
    // waiting for a free connection and connecting, so a saturated pool cannot hang a client.
    // While the client is still trickling its body, the time is the client's: the deadline
    // passing then is the client's timeout (408), and once the body is complete the upstream
    // gets a full deadline of its own to answer. After the response head, undici's
    // bodyTimeout bounds each pause of the body.
    let clientLate = false;
    let timer: NodeJS.Timeout | undefined;
    const expire = () => {
      timer = undefined;
      if (exchange.responded) return; // the head is in: undici's bodyTimeout bounds the rest
      clientLate = body?.awaitingClient ?? false;
      exchange.stop(new AttemptStopped('deadline'));
    };
    const payload = body?.open() ?? null;
    const exchange = new UpstreamExchange(request.method, (err, answer) => {
      clearTimeout(timer);
      timer = undefined;
      client?.onLeave(undefined);
      if (!err) return resolve(answer!);
      // Gone: the proxy answers nobody, and no retry starts.
      if (client?.gone) return reject(err);
      const failure = clientLate ? 'client_timeout' : err instanceof AttemptStopped ? 'timeout' : failureOf(err);
      reject(new UpstreamError(failure, upstream.name, { cause: err }));
    }, Buffer.isBuffer(payload) ? () => body!.sending() : undefined);
    body?.onEnd(() => {
      if (exchange.responded || timer === undefined) return;
      clearTimeout(timer);
      timer = setTimeout(expire, timeoutMs);
    });
    // Until the attempt settles, a client gone stops it (also while its body still streams up);
    // after a streamed head, fastify destroys the answer's stream, which drops the request.
    client?.onLeave((reason) => exchange.stop(reason));
    upstream.pool.dispatch(
      {
        method: request.method,
        path: upstream.basePath + request.path,
        headers: request.headers,
        body: payload,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      },
      exchange,
    );
    if (!exchange.settled) timer = setTimeout(expire, timeoutMs);
  });
}

function failureOf(err: unknown): UpstreamFailure {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'failed';
  if (unreachableCodes.has(code)) return 'unreachable';
  if (resetCodes.has(code)) return 'reset';
  if (timeoutCodes.has(code)) return 'timeout';
  return 'failed';
}

/**
 * A small GET for the gateway's own use (documents, readiness): bounded in time and size,
 * outside the circuit breaker so a probe still learns when an upstream is back.
 */
export async function fetchFrom(
  upstream: UpstreamService,
  path: string,
  limits: { timeoutMs: number; maxBytes: number },
): Promise<{ statusCode: number; body: Buffer }> {
  const response = await upstream.pool.request({
    method: 'GET',
    path: upstream.basePath + path,
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(limits.timeoutMs),
    headersTimeout: limits.timeoutMs,
    bodyTimeout: limits.timeoutMs,
  });
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > limits.maxBytes) {
      response.body.destroy();
      throw new Error(`${upstream.name}${path}: answer larger than ${limits.maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return { statusCode: response.statusCode, body: Buffer.concat(chunks) };
}
