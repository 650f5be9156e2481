import { createEvent, uuidv7 } from '@elcorp/contracts';
import { createDatabase, type Kysely } from '@elcorp/db';
import { messagingOf, unitOfWork, type MessagingRuntime } from '@elcorp/messaging';
import { bootService, testTokenIssuer } from '@elcorp/service-testing';
import { testConfig, testRedisPrefix } from '@elcorp/testing';
import type { Test } from 'tap';
import { onUserRegistered } from '../../src/application/accounts.js';
import type { App } from '@elcorp/kit';
import type { PaymentsDB } from '../../src/infrastructure/db/schema.js';
import { definePaymentsService, type PaymentsOverrides } from '../../src/service.js';

export interface TestUser {
  userId: string;
  accountId: string;
  token: string;
  /** Headers of an authenticated call, plus an Idempotency-Key when given. */
  headers(key?: string): Record<string, string>;
}

export interface PaymentsApi {
  app: App;
  /** The service's messaging runtime: `settled(api.messaging, ...)` awaits its consumers. */
  messaging: MessagingRuntime;
  db: Kysely<PaymentsDB>;
  subjectRoot: string;
  user(roles?: string[], fullName?: string): Promise<TestUser>;
  tokenFor(userId: string, roles: string[]): Promise<string>;
}

/**
 * The payments service booted as main.ts boots it (own schema, subject root), with a test
 * signing key standing in for identity's JWKS. Users are registered the way the
 * identity.user.registered consumer registers them.
 */
export async function paymentsApi(t: Test, env: Record<string, string> = {}, overrides: PaymentsOverrides = {}): Promise<PaymentsApi> {
  // A stand-in for identity's signing key and JWKS; the deny-list is the real Redis under this test's prefix.
  const issuer = await testTokenIssuer(t);
  const { prefix } = await testRedisPrefix(t);
  const booted = await bootService(t, definePaymentsService(overrides), { JWKS_URL: issuer.jwksUrl, REDIS_KEY_PREFIX: prefix, ...env });
  const database = createDatabase<PaymentsDB>({ url: testConfig.databaseUrl, schema: booted.schema!, poolMax: 4 });
  t.teardown(() => database.close());
  const uow = unitOfWork(database.db, { root: booted.subjectRoot });
  const tokenFor = (userId: string, roles: string[]) => issuer.sign({ userId, roles });
  const messaging = messagingOf(booted.infra);
  if (!messaging) throw new Error('payments attached no messaging runtime');
  return {
    app: booted.app,
    messaging,
    db: database.db,
    subjectRoot: booted.subjectRoot,
    tokenFor,
    async user(roles = ['user'], fullName = 'Ana Nangolo') {
      const userId = uuidv7();
      const event = createEvent('identity.user.registered', { subject: { type: 'user', id: userId }, actor: null, data: { userId, email: `${userId}@example.na`, fullName, phone: '+264811234567' } });
      await uow((work) => onUserRegistered(event, work));
      const account = await database.db.selectFrom('accounts').select('id').where('owner_id', '=', userId).executeTakeFirstOrThrow();
      const token = await tokenFor(userId, roles);
      return {
        userId,
        accountId: account.id,
        token,
        headers: (key?: string) => ({ authorization: `DPoP ${token}`, ...(key ? { 'idempotency-key': key } : {}) }),
      };
    },
  };
}
