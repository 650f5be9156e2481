import { ElcorpClient, type Account } from '@elcorp/sdk';
import { runOperatorCli } from '@elcorp/testing';
import { setTimeout as delay } from 'node:timers/promises';

export const password = 'correct horse battery staple 42';

// Governance announces the grant; identity's projection applies it. Nothing the test could
// subscribe to crosses the process boundary, so the client asks, every 200 ms for 30 s at most.
const propagationDeadlineMs = 30_000;

/** A new user, registered and signed in through the gateway. */
export async function signedIn(gateway: string, email: string, fullName: string): Promise<ElcorpClient> {
  const client = new ElcorpClient({ baseUrl: gateway });
  await client.register({ email, password, fullName, phone: '+264811234567', agreedTerms: true });
  await client.login({ email, password, deviceName: 'e2e' });
  return client;
}

/**
 * An admin made as an operator makes one (`pnpm elcorp bootstrap-admin EMAIL`), signed in
 * with a token that carries the role. The fleet's databases outlive a test, so
 * ELCORP_BOOTSTRAP_ADMIN_EMAIL (honoured only while no admin has ever existed) cannot be relied on.
 * `cliEnv` reaches the fleet's broker root and databases (EVENT_SUBJECT_ROOT, <SERVICE>__…).
 */
export async function signedInAdmin(gateway: string, email: string, cliEnv: Record<string, string>): Promise<ElcorpClient> {
  const admin = await signedIn(gateway, email, 'Ada Administrator');
  const granted = await runOperatorCli(['bootstrap-admin', email], cliEnv);
  if (granted.status !== 0) throw new Error(`bootstrap-admin failed: ${granted.stderr}`);
  const deadline = Date.now() + propagationDeadlineMs;
  while (!(await admin.me()).roles.includes('admin')) {
    if (Date.now() > deadline) throw new Error('identity never saw the admin grant');
    await delay(200);
  }
  await admin.refresh(); // the role rides in the access token
  return admin;
}

// Payments opens a new user's account when identity.user.registered reaches it; nothing
// crossing the process boundary can be awaited, so the client asks, bounded.
const accountDeadlineMs = 30_000;

/** The client's NAD account, once payments has opened it (undefined past the deadline). */
export async function nadAccountOf(client: ElcorpClient): Promise<Account> {
  const deadline = Date.now() + accountDeadlineMs;
  for (;;) {
    const account = (await client.payments.listAccounts()).items.find((a) => a.currency === 'NAD');
    if (account || Date.now() > deadline) return account!;
    await delay(200);
  }
}
