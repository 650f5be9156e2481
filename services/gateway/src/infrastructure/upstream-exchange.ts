import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

/**
 * One attempt of a proxied request, as an undici dispatch handler. The usual answer (a small
 * JSON body of announced length) is gathered whole before the client is answered, so the
 * proxy can write it with the response head in one go: no body stream, no pipe, and none of
 * the per-response stream and async-resource machinery of undici's request() API (together
 * about a tenth of the gateway's CPU per proxied request). An answer that is large, or of
 * unknown length, streams as before, with backpressure.
 */

/** Announced bodies up to this size are gathered; larger ones (exports, documents) stream. */
export const gatheredBodyMaxBytes = 64 * 1024;

/** What an upstream answered. */
export interface UpstreamAnswer {
  statusCode: number;
  /** Names in lower case; a repeated header's values in an array (as node:http and undici give them). */
  headers: Record<string, string | string[]>;
  /** The whole body (empty for HEAD, 204 and 304), or the stream of one too large or of unknown length. */
  body: Buffer | Readable;
}

/**
 * The client side of a call: the proxy calls `leave` when the client goes away, and the
 * attempt in progress stops. Cheaper than an AbortController and its event target per request.
 */
export class ClientPresence {
  gone = false;
  reason: Error | undefined;
  #listener: ((reason: Error) => void) | undefined;

  leave(reason: Error = new Error('the client went away')): void {
    if (this.gone) return;
    this.gone = true;
    this.reason = reason;
    this.#listener?.(reason);
  }

  /** One attempt at a time listens; a later attempt replaces the earlier one's listener. */
  onLeave(listener: ((reason: Error) => void) | undefined): void {
    this.#listener = listener;
  }
}

/** Why an attempt was stopped by the gateway itself (deadline, client gone). */
export class AttemptStopped extends Error {
  constructor(readonly why: 'deadline' | 'client_gone', options: { cause?: unknown } = {}) {
    super(why === 'deadline' ? 'the upstream did not answer in time' : 'the client went away', options);
    this.name = 'AttemptStopped';
  }
}

type RawHeaders = Array<Buffer | string>;

/**
 * Receives one response. `settle` is called once: with the answer (at the headers when it
 * streams, at the end when it is gathered) or with the error that ended the attempt first.
 */
export class UpstreamExchange implements Dispatcher.DispatchHandler {
  #abort: ((err: Error) => void) | undefined;
  #stopReason: Error | undefined;
  #settled = false;
  #responded = false;
  #completed = false;
  #statusCode = 0;
  #headers: Record<string, string | string[]> = {};
  #chunks: Buffer[] | undefined;
  #stream: Readable | undefined;

  constructor(
    private readonly method: string,
    private readonly settle: (err: Error | undefined, answer?: UpstreamAnswer) => void,
    /** Called when undici puts the request on a connection, just before it writes it. */
    private readonly onWriting?: () => void,
  ) {}

  /** True once the response head arrived. */
  get responded(): boolean {
    return this.#responded;
  }

  /** True once the attempt has its outcome (answer or error). */
  get settled(): boolean {
    return this.#settled;
  }

  /** Stops the attempt: at once when it is not yet on a connection (a saturated pool cannot hold the caller). */
  stop(reason: Error): void {
    if (this.#completed || this.#stopReason) return;
    this.#stopReason = reason;
    if (this.#abort) this.#abort(reason);
    else this.#finish(reason);
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.#stopReason) {
      abort(this.#stopReason);
      return;
    }
    this.#abort = abort;
    this.onWriting?.();
  }

  onHeaders(statusCode: number, rawHeaders: RawHeaders, resume: () => void): boolean {
    if (statusCode < 200) return true; // informational: the real answer follows
    this.#responded = true;
    this.#statusCode = statusCode;
    const headers = headersOf(rawHeaders);
    this.#headers = headers;
    const announced = headers['content-length'];
    const noBody = this.method === 'HEAD' || statusCode === 204 || statusCode === 304;
    if (noBody || (typeof announced === 'string' && Number(announced) <= gatheredBodyMaxBytes)) {
      this.#chunks = [];
      return true;
    }
    const stream = new Readable({
      read: () => resume(),
      destroy: (err, callback) => {
        // The reader stopped before the end (client gone, write failed): drop the upstream request.
        if (!this.#completed) this.#abort?.(err ?? new AttemptStopped('client_gone'));
        callback(err);
      },
    });
    this.#stream = stream;
    this.#finish(undefined);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#chunks) {
      this.#chunks.push(chunk);
      return true;
    }
    return this.#stream!.push(chunk);
  }

  onComplete(): void {
    this.#completed = true;
    if (this.#stream) {
      this.#stream.push(null);
      return;
    }
    const chunks = this.#chunks ?? [];
    this.#finish(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  }

  onError(err: Error): void {
    this.#completed = true;
    if (this.#stream) this.#stream.destroy(err);
    else this.#finish(err);
  }

  #finish(err: Error | undefined, body?: Buffer): void {
    if (this.#settled) return;
    this.#settled = true;
    if (err) return this.settle(err);
    this.settle(undefined, { statusCode: this.#statusCode, headers: this.#headers, body: this.#stream ?? body ?? Buffer.alloc(0) });
  }
}

/**
 * undici's raw [name, value, ...] list as node:http shapes it: names lower-cased, repeats in
 * arrays. No prototype, so a header named `__proto__` or `constructor` is only a header.
 */
export function headersOf(raw: RawHeaders): Record<string, string | string[]> {
  const headers = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const known = headers[name];
    if (known === undefined) headers[name] = value;
    else if (Array.isArray(known)) known.push(value);
    else headers[name] = [known, value];
  }
  return headers;
}
