import { generateDeviceKey, signDpopProof, type DeviceKey } from '@elcorp/auth';
import type { App } from '@elcorp/kit';
import { messagingOf, type MessagingRuntime } from '@elcorp/messaging';
import { bootService } from '@elcorp/service-testing';
import { nextMailboxMessage, readMailbox, testConfig, testRedisPrefix, type MailboxMessage } from '@elcorp/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { rotateSigningKeys, type RotateOptions } from '../../src/cli/rotate-keys.js';
import { loadIdentityConfig } from '../../src/config.js';
import type { Test } from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { identityServiceWith, type IdentityOverrides } from '../../src/service.js';
import { emailHasher } from '../../src/infrastructure/email-hash.js';

/** The keyed email hash under the development key the tests run with. */
export const emailHash = emailHasher(loadIdentityConfig({ NODE_ENV: 'test' }).IDENTITY_EMAIL_HASH_KEY);

export const publicBaseUrl = 'http://localhost:8080';
export const strongPassword = 'correct horse battery staple 42';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface Identity {
  app: App;
  /** The development mailbox (NOTIFICATIONS_DIR) of this test. */
  mailbox: string;
  redisPrefix: string;
  schema: string;
  /** Messages written to the mailbox so far, oldest first. */
  messages(): Promise<Message[]>;
  /** The first message matching `wanted`, waiting for the mailbox to receive it (queued deliveries). */
  nextMessage(wanted: (message: Message) => boolean): Promise<Message>;
  /** A device with its own key, able to sign proofs. */
  device(): Promise<Device>;
  /** Runs SQL in this test's identity schema (as the test superuser). */
  query<R>(text: string, params?: unknown[]): Promise<R[]>;
  /** Reads a key under this test's Redis prefix. */
  redisValue(key: string): Promise<string | null>;
  /** The operator's rotate-keys command against this test's schema; the new key's kid. */
  rotateKeys(options?: RotateOptions): Promise<string>;
  /** The NATS subject root of this test's streams (`<root>.governance.role.assigned`, ...). */
  subjectRoot: string;
  /** The service's messaging runtime: `settled(identity.messaging, ...)` awaits its consumers. */
  messaging: MessagingRuntime;
}

export type Message = MailboxMessage;

/** Longest wait for a queued message: a deadlock guard, far above any delivery time. */
const messageWaitMs = 30_000;

export interface Session {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  user: { id: string; email: string; roles: string[] };
}

export interface Device {
  key: DeviceKey;
  /** A request carrying a fresh proof of this device (and the access token, when given). */
  call(method: Method, path: string, options?: { body?: unknown; session?: Session; headers?: Record<string, string>; remoteAddress?: string }): Promise<LightMyRequestResponse>;
  login(email: string, password: string, extra?: Record<string, unknown>): Promise<Session>;
}

let counter = 0;
/** A unique, valid registration body. */
export function newUser(overrides: Record<string, unknown> = {}) {
  counter += 1;
  const tag = `${process.pid}-${Date.now().toString(36)}-${counter}`;
  return { email: `user-${tag}@example.na`, password: strongPassword, fullName: 'Ndapewa Shikongo', phone: '+264811234567', agreedTerms: true, ...overrides };
}

/** Opens the identity service as production does, on this test's own schema, stream root and Redis keys. */
export async function openIdentity(t: Test, env: Record<string, string> = {}, overrides: IdentityOverrides = {}): Promise<Identity> {
  const mailbox = t.testdir({});
  const redis = await testRedisPrefix(t);
  const booted = await bootService(t, identityServiceWith(overrides), {
    PUBLIC_BASE_URL: publicBaseUrl,
    NOTIFICATIONS_DIR: mailbox,
    REDIS_KEY_PREFIX: redis.prefix,
    NODE_ENV: 'test',
    // Every replica-level cache off, so a rotation is seen by the next request.
    SIGNING_KEY_CACHE_SECONDS: '0',
    ...env,
  });
  const app = booted.app;
  const messaging = messagingOf(booted.infra);
  if (!messaging) throw new Error('identity started without messaging');
  const schema = booted.schema!;
  const pool = new pg.Pool({ connectionString: testConfig.databaseUrl, max: 2, options: `-c search_path=${schema}` });
  t.teardown(() => pool.end());
  const redisClient = new Redis(testConfig.redisUrl, { lazyConnect: true });
  t.teardown(() => redisClient.quit().then(() => undefined, () => undefined));
  return {
    app,
    mailbox,
    redisPrefix: redis.prefix,
    schema,
    async query<R>(text: string, params: unknown[] = []) {
      return (await pool.query(text, params)).rows as R[];
    },
    async redisValue(key: string) {
      return redisClient.get(`${redis.prefix}${key}`);
    },
    async rotateKeys(options) {
      return (await rotateSigningKeys(loadIdentityConfig({ DATABASE_URL: testConfig.databaseUrl, DATABASE_SCHEMA: schema, EVENT_SUBJECT_ROOT: booted.subjectRoot, ...env }), options)).kid;
    },
    subjectRoot: booted.subjectRoot,
    messaging,
    async messages() {
      return readMailbox(mailbox);
    },
    nextMessage: (wanted) => nextMailboxMessage(mailbox, wanted, messageWaitMs),
    async device() {
      const key = await generateDeviceKey();
      const device: Device = {
        key,
        async call(method, path, options = {}) {
          const proof = await signDpopProof(key, { method, url: `${publicBaseUrl}${path}`, ...(options.session ? { accessToken: options.session.accessToken } : {}) });
          return app.inject({
            method,
            url: path,
            headers: {
              dpop: proof,
              ...(options.session ? { authorization: `DPoP ${options.session.accessToken}` } : {}),
              ...options.headers,
            },
            ...(options.body === undefined ? {} : { payload: options.body as object }),
            ...(options.remoteAddress === undefined ? {} : { remoteAddress: options.remoteAddress }),
          });
        },
        async login(email, password, extra = {}) {
          const res = await device.call('POST', '/api/v1/auth/login', { body: { email, password, ...extra } });
          if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
          return res.json() as Session;
        },
      };
      return device;
    },
  };
}


/** Registers a new user and logs them in on a new device. */
export async function signedInUser(identity: Identity, overrides: Record<string, unknown> = {}) {
  const body = newUser(overrides);
  const registered = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: body });
  if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.statusCode} ${registered.body}`);
  const device = await identity.device();
  const session = await device.login(body.email, body.password);
  return { body, device, session, user: registered.json() as { id: string; email: string } };
}
