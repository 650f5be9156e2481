import { identityService } from '@elcorp/identity/service';
import { bootService } from '@elcorp/service-testing';
import { freePort, testRedisPrefix } from '@elcorp/testing';
import { createHmac } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { RegisterInput } from '../src/index.js';

export const strongPassword = 'correct horse battery staple 42';

export interface Message {
  to: { email?: string; phone?: string };
  template: string;
  data: Record<string, string>;
}

export interface LiveIdentity {
  /** The listening origin, also the service's PUBLIC_BASE_URL (so proofs' htu match). */
  baseUrl: string;
  /** Development mailbox (NOTIFICATIONS_DIR), oldest first. */
  messages(): Promise<Message[]>;
}

/** The real identity service on its own schema, stream root and Redis keys, listening on 127.0.0.1. */
export async function openIdentity(t: Test, env: Record<string, string> = {}): Promise<LiveIdentity> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const mailbox = t.testdir({});
  const redis = await testRedisPrefix(t);
  const { app } = await bootService(t, identityService, {
    PUBLIC_BASE_URL: baseUrl,
    NOTIFICATIONS_DIR: mailbox,
    REDIS_KEY_PREFIX: redis.prefix,
    NODE_ENV: 'test',
    SIGNING_KEY_CACHE_SECONDS: '0',
    ...env,
  });
  await app.listen({ host: '127.0.0.1', port });
  return {
    baseUrl,
    async messages() {
      const files = (await readdir(mailbox)).sort();
      return Promise.all(files.map(async (file) => JSON.parse(await readFile(join(mailbox, file), 'utf8')) as Message));
    },
  };
}

let counter = 0;
/** A unique, valid registration. */
export function newUser(overrides: Partial<RegisterInput> = {}): RegisterInput {
  counter += 1;
  const tag = `${process.pid}-${Date.now().toString(36)}-${counter}`;
  return { email: `sdk-${tag}@example.na`, password: strongPassword, fullName: 'Ndapewa Shikongo', phone: '+264811234567', agreedTerms: true, ...overrides };
}

/** A fresh directory removed at teardown (t.testdir is taken by the mailbox). */
export async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'elcorp-sdk-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface Call {
  method: string;
  path: string;
}

/** A fetch that records each request (method and path) before passing it on. */
export function recordingFetch(inner: typeof fetch = fetch): { fetch: typeof fetch; calls: Call[]; count(path: string): number } {
  const calls: Call[] = [];
  return {
    calls,
    count: (path) => calls.filter((call) => call.path === path).length,
    fetch: (input, init) => {
      calls.push({ method: init?.method ?? 'GET', path: new URL(String(input)).pathname });
      return inner(input, init);
    },
  };
}

function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((byte) => parseInt(byte, 2)));
}

/** RFC 6238 code (SHA-1, 30 s, 6 digits) of a base32 secret, as an authenticator app shows it. */
export function totp(secret: string, atMs = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 30_000)));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}
