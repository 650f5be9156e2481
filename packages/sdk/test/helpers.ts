import { freePort, nextMailboxMessage, readMailbox, testConfig, testNatsPrefix, testRedisPrefix, testSchema, type MailboxMessage } from '@elcorp/testing';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import type { RegisterInput } from '../src/index.js';

export const strongPassword = 'correct horse battery staple 42';

export type Message = MailboxMessage;

export interface LiveIdentity {
  /** The listening origin, also the service's PUBLIC_BASE_URL (so proofs' htu match). */
  baseUrl: string;
  /** Development mailbox (NOTIFICATIONS_DIR), oldest first. */
  messages(): Promise<Message[]>;
  /** The first message matching `wanted`, waiting for it (reset mails are sent after the answer). */
  nextMessage(wanted: (message: Message) => boolean): Promise<Message>;
}

/** Longest wait for a queued message: a deadlock guard, far above any delivery time. */
const messageWaitMs = 30_000;

// A package imports no service (eslint.config.js): the SDK meets the services as a client does,
// over HTTP, with each run from its build as `pnpm start` runs it.
const servicesDir = fileURLToPath(new URL('../../../services/', import.meta.url));
const readyDeadlineMs = 60_000;
const readyPollMs = 100;
const stopDeadlineMs = 10_000;

/** The environment a service process inherits: tap's own variables stay out (its loader hooks would load into the service). */
function inheritedEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(NODE_OPTIONS|NODE_V8_COVERAGE|TAP|_TAPJS|DATABASE_)/.test(name)));
}

/**
 * Runs services/<name>/dist/main.js listening on 127.0.0.1:`port` until the test ends, and
 * waits until it answers ready (or has died: then its stderr is the error).
 */
export async function runService(t: Test, name: string, port: number, env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/main.js'], {
    cwd: `${servicesDir}${name}`,
    env: { ...inheritedEnv(), LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let done = false;
  void exited.then(() => (done = true));
  t.teardown(async () => {
    if (done) return;
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), delay(stopDeadlineMs, false, { ref: false })]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  // Readiness is announced by no event a test could await: poll, bounded, and stop early if it died.
  const deadline = Date.now() + readyDeadlineMs;
  while (!done && Date.now() < deadline) {
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
    await response?.arrayBuffer();
    if (response?.status === 200) return;
    await Promise.race([exited, delay(readyPollMs)]);
  }
  throw new Error(`${name} did not become ready:\n${stderr}`);
}

/** The real identity service on its own schema, stream root and Redis keys, listening on 127.0.0.1. */
export async function openIdentity(t: Test, env: Record<string, string> = {}): Promise<LiveIdentity> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const mailbox = t.testdir({});
  const redis = await testRedisPrefix(t);
  const slice = await testSchema(t, 'identity');
  const nats = await testNatsPrefix(t);
  await runService(t, 'identity', port, {
    DATABASE_URL: slice.url,
    DATABASE_SCHEMA: slice.schema,
    NATS_URL: nats.url,
    REDIS_URL: testConfig.redisUrl,
    // Stream names are the upper-cased root, so the prefix's teardown deletes this test's streams.
    EVENT_SUBJECT_ROOT: nats.prefix.toLowerCase(),
    // JetStream reserves each stream's max_bytes on the shared server: keep test streams small.
    EVENT_STREAM_MAX_BYTES: String(8 * 1024 * 1024),
    PUBLIC_BASE_URL: baseUrl,
    NOTIFICATIONS_DIR: mailbox,
    REDIS_KEY_PREFIX: redis.prefix,
    NODE_ENV: 'test',
    SIGNING_KEY_CACHE_SECONDS: '0',
    ...env,
  });

  return {
    baseUrl,
    messages: () => readMailbox(mailbox),
    nextMessage: (wanted) => nextMailboxMessage(mailbox, wanted, messageWaitMs),
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
