import { signDpopProof, type DeviceKey } from '@elcorp/auth';
import { setTimeout as sleep } from 'node:timers/promises';
import { retryAfterSecondsOf, type Answer } from './answer.js';
import { loadOrCreateDeviceKey, type DeviceKeyStore } from './device-key-store.js';
import { ElcorpNetworkError } from './errors.js';
import { backoffMs, isIdempotent, isRetryableStatus, retryWaitMs } from './retry.js';

export type QueryValue = string | number | boolean | null | undefined;

export interface SendOptions {
  body?: unknown;
  query?: Record<string, QueryValue>;
  /** Also makes a POST retryable: the server answers a repeat with the first answer (API.md, Idempotency). */
  idempotencyKey?: string;
  /** The `Accept` header; JSON and problem details by default. */
  accept?: string;
  /** Keep a success body as bytes (`Answer.bytes`), e.g. a PDF; error bodies are still read as text. */
  binary?: boolean;
}

export interface TransportOptions {
  baseUrl: string;
  deviceKeyStore: DeviceKeyStore;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  retries: number;
  clock: () => number;
}

// API.md: 1–255 visible characters. Checked here because fetch rejects a bad header value
// with the same TypeError as a network failure.
const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) params.append(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Requests signed with the device key: one attempt, or retries for idempotent methods. */
export class Transport {
  readonly baseUrl: string;
  readonly #options: TransportOptions;
  #deviceKey: Promise<DeviceKey> | undefined;

  constructor(options: TransportOptions) {
    const url = new URL(options.baseUrl);
    if (url.search || url.hash) throw new TypeError('baseUrl takes no query or fragment');
    this.baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.#options = options;
  }

  /** The device key, loaded or created (once) on first use. */
  deviceKey(): Promise<DeviceKey> {
    this.#deviceKey ??= loadOrCreateDeviceKey(this.#options.deviceKeyStore).catch((err: unknown) => {
      this.#deviceKey = undefined; // a failing store may work next time
      throw err;
    });
    return this.#deviceKey;
  }

  /** Sends with retries: idempotent methods (or a POST with an Idempotency-Key) only, on network errors and 502/503/504. */
  async send(method: string, path: string, options: SendOptions, accessToken?: string): Promise<Answer> {
    const retries = isIdempotent(method) || options.idempotencyKey !== undefined ? this.#options.retries : 0;
    for (let attempt = 0; ; attempt += 1) {
      let answer: Answer;
      try {
        answer = await this.sendOnce(method, path, options, accessToken);
      } catch (err) {
        if (!(err instanceof ElcorpNetworkError) || attempt >= retries) throw err;
        await sleep(backoffMs(attempt));
        continue;
      }
      if (attempt >= retries || !isRetryableStatus(answer.status)) return answer;
      const waitMs = retryWaitMs(retryAfterSecondsOf(answer.headers.get('retry-after'), this.#options.clock()), attempt);
      if (waitMs === undefined) return answer;
      await sleep(waitMs);
    }
  }

  /** One attempt with a fresh DPoP proof (new `jti`, `ath` when a token is sent). */
  async sendOnce(method: string, path: string, options: SendOptions, accessToken?: string): Promise<Answer> {
    if (!path.startsWith('/')) throw new TypeError(`path must start with "/": ${path}`);
    if (options.idempotencyKey !== undefined && !idempotencyKeyPattern.test(options.idempotencyKey)) {
      throw new TypeError('idempotencyKey must be 1–255 visible ASCII characters');
    }
    const url = `${this.baseUrl}${path}`;
    const proof = await signDpopProof(await this.deviceKey(), { method, url, ...(accessToken === undefined ? {} : { accessToken }) });
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json, application/problem+json', dpop: proof };
    if (accessToken !== undefined) headers['authorization'] = `DPoP ${accessToken}`;
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const send = this.#options.fetch; // called bare: some fetch implementations refuse another `this`
    try {
      const response = await send(`${url}${queryString(options.query)}`, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        // A proof is signed for one URL; a redirect is reported, never followed with the token.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      if (!options.binary || response.status < 200 || response.status > 299) return { status: response.status, headers: response.headers, text: await response.text() };
      return { status: response.status, headers: response.headers, text: '', bytes: new Uint8Array(await response.arrayBuffer()) };
    } catch (cause) {
      const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
      const reason = timedOut ? `no answer within ${this.#options.timeoutMs} ms` : String((cause as Error | undefined)?.message ?? cause);
      throw new ElcorpNetworkError(`${method} ${path}: ${reason}`, { cause, timedOut });
    }
  }
}
