import { generateDeviceKey, signDpopProof, type DeviceKey } from '@elcorp/auth';
import { identityService } from '@elcorp/identity/service';
import { connectRedis, createLogger, type Logger } from '@elcorp/kit';
import { bootService, type BootedService } from '@elcorp/service-testing';
import { testConfig, testRedisPrefix } from '@elcorp/testing';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import { gatewayService } from '../../src/service.js';

export const publicBaseUrl = 'http://localhost:8080';
export const password = 'correct horse battery staple 42';

export interface Session {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  user: { id: string; roles: string[] };
}

export interface IdentityUpstream {
  identity: BootedService;
  /** Where the gateway under test fetches identity's JWKS. */
  identityUrl: string;
  /** Shared by identity and the gateway: the deny-list and replay keys live under it. */
  redisPrefix: string;
  redis: Redis;
  logger: Logger;
  /** Registers and logs in against identity itself, as a client would through the gateway. */
  signIn(): Promise<{ device: DeviceKey; session: Session }>;
}

/** The real identity service for a test file: it issues the tokens and serves the JWKS. */
export async function openIdentityUpstream(t: Test, env: Record<string, string> = {}): Promise<IdentityUpstream> {
  const logger = createLogger({ service: 'gateway', level: 'silent' });
  const redisPrefix = (await testRedisPrefix(t)).prefix;
  const identity = await bootService(t, identityService, {
    PUBLIC_BASE_URL: publicBaseUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    NODE_ENV: 'test',
    NOTIFICATIONS_DIR: t.testdir({}),
    ...env,
  });
  const identityUrl = await identity.app.listen({ host: '127.0.0.1', port: 0 });
  const redis = await connectRedis(testConfig.redisUrl, logger);
  t.teardown(() => redis.quit());

  async function signIn() {
    const email = `gw-${randomUUID()}@example.na`;
    const registered = await identity.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password, fullName: 'Ndapewa Shikongo', phone: '+264811234567', agreedTerms: true },
    });
    if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.body}`);
    const device = await generateDeviceKey();
    const proof = await signDpopProof(device, { method: 'POST', url: `${publicBaseUrl}/api/v1/auth/login` });
    const login = await identity.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { dpop: proof }, payload: { email, password } });
    if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
    return { device, session: login.json() as Session };
  }

  return { identity, identityUrl, redisPrefix, redis, logger, signIn };
}

/** The gateway as production opens it in front of `upstream`, listening on a port of its own, internal listener included. */
export async function listeningGateway(t: Test, upstream: IdentityUpstream, env: Record<string, string> = {}) {
  const { app } = await bootService(t, gatewayService, {
    PUBLIC_BASE_URL: publicBaseUrl,
    REDIS_KEY_PREFIX: upstream.redisPrefix,
    INTERNAL_PORT: '0',
    IDENTITY_URL: upstream.identityUrl,
    ...env,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, internalUrl: app.internalUrl! };
}
