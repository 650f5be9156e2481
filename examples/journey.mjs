// A customer's first minutes, through the public gateway with @elcorp/sdk:
// register → sign in → who am I → money in (an admin's deposit) → a transfer to a second
// customer → both balances → the receipt → sign out.
//   ELCORP_BOOTSTRAP_ADMIN_EMAIL=admin@example.na pnpm start     (the fleet on :8080)
//   ELCORP_EXAMPLE_ADMIN_EMAIL=admin@example.na pnpm --filter @elcorp/examples journey
// ELCORP_BASE_URL points it at another gateway; ELCORP_EXAMPLE_EMAIL picks the account
// (default: a new one per run). The deposit needs `payment:deposit`: ELCORP_EXAMPLE_ADMIN_EMAIL
// names an admin (registered here if it is new, as the fleet's bootstrap admin), with
// ELCORP_EXAMPLE_ADMIN_PASSWORD (default: the example's password); without it the money steps
// are skipped. packages/e2e runs this file against the fleet it starts, so the example cannot
// drift from the API.
import { ElcorpApiError, ElcorpClient, MemoryDeviceKeyStore, MemoryTokenStore, isCode } from '@elcorp/sdk';
import { setTimeout as delay } from 'node:timers/promises';

const baseUrl = process.env.ELCORP_BASE_URL || 'http://localhost:8080';
const email = process.env.ELCORP_EXAMPLE_EMAIL || `example-${Date.now().toString(36)}-${process.pid}@example.na`;
const password = 'correct horse battery staple 42';
const adminEmail = process.env.ELCORP_EXAMPLE_ADMIN_EMAIL || '';
const adminPassword = process.env.ELCORP_EXAMPLE_ADMIN_PASSWORD || password;
// Payments opens a new user's NAD account when it hears of the registration, a moment later.
const accountWaitMs = 15_000;

const say = (line) => process.stdout.write(`${line}\n`);

// One device key per installation; a real app keeps it (FileDeviceKeyStore, the OS keychain).
const newClient = () => new ElcorpClient({ baseUrl, deviceKeyStore: new MemoryDeviceKeyStore(), tokenStore: new MemoryTokenStore(), timeoutMs: 15_000 });

async function nadAccountOf(client) {
  const deadline = Date.now() + accountWaitMs;
  for (;;) {
    const account = (await client.payments.listAccounts()).items.find((a) => a.currency === 'NAD');
    if (account) return account;
    if (Date.now() > deadline) throw new Error(`no NAD account appeared within ${accountWaitMs} ms`);
    await delay(200);
  }
}

/** The admin signed in: registered first when the account does not exist yet. */
async function signInAdmin() {
  const admin = newClient();
  try {
    await admin.register({ email: adminEmail, password: adminPassword, fullName: 'Ada Administrator', phone: '+264811234567', agreedTerms: true });
  } catch (err) {
    if (!isCode(err, 'identity.email_taken')) throw err;
  }
  await admin.login({ email: adminEmail, password: adminPassword, deviceName: 'example script (admin)' });
  return admin;
}

/** Money in, a transfer to a second customer, both balances, the receipt. */
async function moveMoney(client, me) {
  if (!adminEmail) {
    say('transfer: skipped, no admin to deposit the money (set ELCORP_EXAMPLE_ADMIN_EMAIL)');
    return;
  }
  const payee = newClient();
  const payeeEmail = email.replace('@', '+payee@');
  const payeeUser = await payee.register({ email: payeeEmail, password, fullName: 'Ben Shikongo', phone: '+264811234568', agreedTerms: true });
  await payee.login({ email: payeeEmail, password, deviceName: 'example script (payee)' });
  say(`registered payee ${payeeUser.email} as user ${payeeUser.id}`);

  const [mine, theirs] = await Promise.all([nadAccountOf(client), nadAccountOf(payee)]);
  const admin = await signInAdmin();
  const deposit = await admin.payments.deposit({ accountId: mine.id, amount: '100.00', currency: 'NAD', reference: 'example: cash at the branch' });
  say(`deposit ${deposit.result.id}: ${deposit.result.amount} ${deposit.result.currency} into ${me.fullName}'s account, ${deposit.result.status}`);
  await admin.logout();

  // The SDK sends a new Idempotency-Key (handed back in sent.idempotencyKey): calling again
  // with { idempotencyKey: sent.idempotencyKey } can never move the money twice.
  const sent = await client.payments.transfer({ fromAccountId: mine.id, to: { userId: payeeUser.id }, amount: '25.00', currency: 'NAD', description: 'example: lunch' });
  say(`transfer ${sent.result.id}: ${sent.result.status}, ${sent.result.amount} ${sent.result.currency} to ${payeeUser.email}`);

  const [after, payeeAfter] = await Promise.all([client.payments.getAccount(mine.id), payee.payments.getAccount(theirs.id)]);
  say(`balances: mine ${after.balance} ${after.currency}, payee ${payeeAfter.balance} ${payeeAfter.currency}`);
  const receipt = await client.payments.receipt(sent.result.id);
  const pdf = await client.payments.receiptPdf(sent.result.id);
  say(`receipt: ${receipt.amount} ${receipt.currency} from ${receipt.from.name} to ${receipt.to.name}, ${receipt.status} (PDF ${pdf.length} bytes)`);
  await payee.logout();
}

async function journey() {
  const client = newClient();

  const user = await client.register({ email, password, fullName: 'Ana Nangolo', phone: '+264811234567', agreedTerms: true });
  say(`registered ${user.email} as user ${user.id}`);

  const session = await client.login({ email, password, deviceName: 'example script' });
  say(`signed in: session ${session.sessionId}, access token bound to this device's key`);

  const me = await client.me();
  say(`me: ${me.fullName} <${me.email}>, roles ${me.roles.join(', ')}, status ${me.status}`);

  await moveMoney(client, me);

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
