import { jwkThumbprint, signDpopProof, type DeviceKey } from '@elcorp/auth';
import { CommandFailure } from '@elcorp/kit';
import type { JsonWebKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/** A small answer (checkpoint, keys) must come within this; the export may stream for long. */
const requestTimeoutMs = 30_000;
/** The export stream is dropped when no byte arrives for this long. */
const exportIdleTimeoutMs = 60_000;
const apiPrefix = '/api/v1/compliance/audit';

export interface LiveAudit {
  /** The latest checkpoint as a C2SP signed note. */
  signedCheckpoint(): Promise<string>;
  /** The signed-note verifier keys the service publishes (current and retired). */
  publishedKeys(): Promise<string[]>;
  /** The JSON Lines export, line by line; `stop()` ends the download early. */
  exportLines(): { lines: AsyncIterable<string>; stop(): void };
}

/**
 * The device key an access token is bound to, as a private ES256 JWK file: with it every
 * request carries a DPoP proof, which the gateway demands. The compliance service itself
 * checks the token and leaves proofs to the gateway, so direct calls need only the token.
 */
export async function readDeviceKey(file: string): Promise<DeviceKey> {
  let jwk: JsonWebKey;
  try {
    jwk = JSON.parse(await readFile(file, 'utf8')) as JsonWebKey;
  } catch (err) {
    throw new CommandFailure(`cannot read the DPoP key ${file}: ${(err as Error).message}`);
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') throw new CommandFailure(`${file} is not a private ES256 (P-256) JWK`);
  const privateKey = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const publicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! };
  return { privateKey, publicJwk, jkt: await jwkThumbprint(publicJwk) };
}

async function problemOf(response: Response): Promise<string> {
  const text = (await response.text().catch(() => '')).slice(0, 2_000);
  try {
    const problem = JSON.parse(text) as { code?: string; detail?: string };
    return [problem.code, problem.detail].filter(Boolean).join(': ') || text;
  } catch {
    return text;
  }
}

/** The audit endpoints of a compliance service or of the gateway in front of it (API.md). */
export function liveAudit(baseUrl: string, credentials: { token?: string; device?: DeviceKey }): LiveAudit {
  const base = baseUrl.replace(/\/+$/, '');
  const call = async (path: string, accept: string, signal: AbortSignal, authenticated = true): Promise<Response> => {
    const url = `${base}${apiPrefix}${path}`;
    const headers: Record<string, string> = { accept };
    if (authenticated && credentials.token) {
      headers['authorization'] = `DPoP ${credentials.token}`;
      if (credentials.device) headers['dpop'] = await signDpopProof(credentials.device, { method: 'GET', url, accessToken: credentials.token });
    }
    let response: Response;
    try {
      response = await fetch(url, { headers, signal });
    } catch (err) {
      throw new CommandFailure(`GET ${url} failed: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
    }
    if (!response.ok) throw new CommandFailure(`GET ${url} answered ${response.status} ${await problemOf(response)}`);
    return response;
  };
  return {
    async signedCheckpoint() {
      return (await call('/checkpoint', 'text/plain', AbortSignal.timeout(requestTimeoutMs))).text();
    },
    async publishedKeys() {
      const body = (await (await call('/keys', 'application/json', AbortSignal.timeout(requestTimeoutMs), false)).json()) as { keys?: Array<{ noteVerifierKey?: unknown }> };
      return (body.keys ?? []).map((k) => k.noteVerifierKey).filter((k): k is string => typeof k === 'string');
    },
    exportLines() {
      const abort = new AbortController();
      let idle: NodeJS.Timeout | undefined;
      const touch = () => {
        clearTimeout(idle);
        idle = setTimeout(() => abort.abort(new Error(`the export stalled for ${exportIdleTimeoutMs / 1000} s`)), exportIdleTimeoutMs);
      };
      async function* lines(): AsyncGenerator<string> {
        touch();
        try {
          const response = await call('/export?format=jsonl', 'application/x-ndjson', abort.signal);
          if (!response.body) return;
          const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
          body.on('data', touch);
          for await (const line of createInterface({ input: body, crlfDelay: Infinity })) yield line;
        } catch (err) {
          if (abort.signal.aborted && abort.signal.reason instanceof Error && abort.signal.reason.message.startsWith('the export')) throw new CommandFailure(abort.signal.reason.message);
          throw err;
        } finally {
          clearTimeout(idle);
        }
      }
      return {
        lines: lines(),
        stop: () => {
          clearTimeout(idle);
          abort.abort(new Error('verified'));
        },
      };
    },
  };
}
