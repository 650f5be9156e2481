// The fleet a payments client meets: the real gateway in front of identity, payments and
// governance, each from its build, on its own schema, sharing one subject root and one Redis
// prefix (as `pnpm start` shares them). Compliance is left out: nothing here calls it.
import { freePort, testConfig, testNatsPrefix, testRedisPrefix, testSchema } from '@elcorp/testing';
import { setTimeout as delay } from 'node:timers/promises';
import type { Test } from 'tap';
import { ElcorpClient, type Account, type User } from '../src/index.js';
import { newUser, runService } from './helpers.js';

export interface PaymentsFleet {
  /** The gateway's origin: every client talks to it alone. */
  gateway: string;
  /** Registered as ELCORP_BOOTSTRAP_ADMIN_EMAIL, so `admin`: deposits, approvals, reconciliation. */
  admin(): Promise<Customer>;
  /** A new user, signed in, once payments has opened their NAD account. */
  customer(fullName?: string): Promise<Customer>;
}

export interface Customer {
  client: ElcorpClient;
  user: User;
  /** The NAD account every user gets at registration. */
  account: Account;
}

// Payments opens the account when it hears identity.user.registered; nothing crossing the
// process boundary can be awaited, so the client asks, every 100 ms for 30 s at most.
const accountDeadlineMs = 30_000;
const accountPollMs = 100;

async function nadAccountOf(client: ElcorpClient): Promise<Account> {
  const deadline = Date.now() + accountDeadlineMs;
  for (;;) {
    const account = (await client.payments.listAccounts()).items.find((a) => a.currency === 'NAD');
    if (account) return account;
    if (Date.now() > deadline) throw new Error('payments opened no NAD account for the new user');
    await delay(accountPollMs);
  }
}

export async function openPaymentsFleet(t: Test, env: { PAYMENTS_APPROVAL_THRESHOLD?: string } = {}): Promise<PaymentsFleet> {
  const [gatewayPort, identityPort, paymentsPort, governancePort, internalPort, compliancePort] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => freePort()));
  const gateway = `http://127.0.0.1:${gatewayPort}`;
  const identityUrl = `http://127.0.0.1:${identityPort}`;
  const adminEmail = `sdk-admin-${process.pid}-${Date.now().toString(36)}@example.na`;
  const nats = await testNatsPrefix(t);
  const redis = await testRedisPrefix(t);
  const shared = {
    NATS_URL: nats.url,
    REDIS_URL: testConfig.redisUrl,
    REDIS_KEY_PREFIX: redis.prefix,
    // Stream names are the upper-cased root, so the prefix's teardown deletes this fleet's streams.
    EVENT_SUBJECT_ROOT: nats.prefix.toLowerCase(),
    // JetStream reserves each stream's max_bytes on the shared server: keep test streams small.
    EVENT_STREAM_MAX_BYTES: String(8 * 1024 * 1024),
    PUBLIC_BASE_URL: gateway,
    JWKS_URL: `${identityUrl}/.well-known/jwks.json`,
    ELCORP_BOOTSTRAP_ADMIN_EMAIL: adminEmail,
    NODE_ENV: 'test',
  };
  const own = async (service: string) => {
    const slice = await testSchema(t, service);
    return { DATABASE_URL: slice.url, DATABASE_SCHEMA: slice.schema };
  };

  // Identity first: the others fetch its signing keys to become ready.
  await runService(t, 'identity', identityPort!, { ...shared, ...(await own('identity')), NOTIFICATIONS_DIR: t.testdir({}), SIGNING_KEY_CACHE_SECONDS: '0' });
  await Promise.all([
    runService(t, 'payments', paymentsPort!, { ...shared, ...(await own('payments')), ...env }),
    runService(t, 'governance', governancePort!, { ...shared, ...(await own('governance')) }),
    runService(t, 'gateway', gatewayPort!, {
      ...shared,
      INTERNAL_PORT: String(internalPort),
      IDENTITY_URL: identityUrl,
      PAYMENTS_URL: `http://127.0.0.1:${paymentsPort}`,
      GOVERNANCE_URL: `http://127.0.0.1:${governancePort}`,
      // Nothing listens there: compliance's routes would answer 503, and none is called.
      COMPLIANCE_URL: `http://127.0.0.1:${compliancePort}`,
      // Every test client calls from 127.0.0.1; the per-address limit is the gateway's own test's concern.
      RATE_LIMIT_PER_IP_PER_MINUTE: '100000',
    }),
  ]);

  const signUp = async (email?: string, fullName = 'Ndapewa Shikongo'): Promise<Customer> => {
    const client = new ElcorpClient({ baseUrl: gateway });
    const input = newUser({ fullName, ...(email ? { email } : {}) });
    const user = await client.register(input);
    await client.login({ email: input.email, password: input.password });
    return { client, user, account: await nadAccountOf(client) };
  };
  let admin: Promise<Customer> | undefined;
  return {
    gateway,
    admin: () => (admin ??= signUp(adminEmail, 'Ada Administrator')),
    customer: (fullName) => signUp(undefined, fullName),
  };
}
