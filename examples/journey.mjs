// A customer's first minutes, through the public gateway with @elcorp/sdk:
// register → sign in → who am I → (a transfer, once payments lands) → sign out.
//   pnpm start                       (another terminal: the fleet on :8080)
//   pnpm --filter @elcorp/examples journey
// ELCORP_BASE_URL points it at another gateway; ELCORP_EXAMPLE_EMAIL picks the account
// (default: a new one per run). packages/e2e runs this file against the fleet it starts,
// so the example cannot drift from the API.
import { ElcorpApiError, ElcorpClient, MemoryDeviceKeyStore, MemoryTokenStore } from '@elcorp/sdk';

const baseUrl = process.env.ELCORP_BASE_URL || 'http://localhost:8080';
const email = process.env.ELCORP_EXAMPLE_EMAIL || `example-${Date.now().toString(36)}-${process.pid}@example.na`;
const password = 'correct horse battery staple 42';

const say = (line) => process.stdout.write(`${line}\n`);

async function journey() {
  // One device key per installation; a real app keeps it (FileDeviceKeyStore, the OS keychain).
  const client = new ElcorpClient({ baseUrl, deviceKeyStore: new MemoryDeviceKeyStore(), tokenStore: new MemoryTokenStore(), timeoutMs: 15_000 });

  const user = await client.register({ email, password, fullName: 'Ana Nangolo', phone: '+264811234567', agreedTerms: true });
  say(`registered ${user.email} as user ${user.id}`);

  const session = await client.login({ email, password, deviceName: 'example script' });
  say(`signed in: session ${session.sessionId}, access token bound to this device's key`);

  const me = await client.me();
  say(`me: ${me.fullName} <${me.email}>, roles ${me.roles.join(', ')}, status ${me.status}`);

  // PAYMENTS (issue 12): once the ledger lands, open an account and move money here, e.g.
  //   const transfer = await client.request('POST', '/api/v1/payments/transfers', { body: { … }, idempotencyKey: … });
  //   say(`transfer ${transfer.id}: ${transfer.status}`);
  say('transfer: skipped until the payments service has its ledger (issue 12)');

  await client.logout();
  say('signed out: the session is revoked');
}

journey().then(
  () => say(`journey complete against ${baseUrl}`),
  (err) => {
    const line = err instanceof ElcorpApiError ? `${err.status} ${err.code}: ${err.detail ?? err.title}` : err instanceof Error ? err.message : String(err);
    process.stderr.write(`journey failed: ${line}\n`);
    process.exitCode = 1;
  },
);
