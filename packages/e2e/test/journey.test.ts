import { ElcorpApiError, ElcorpClient, MemoryDeviceKeyStore, MemoryTokenStore } from '@elcorp/sdk';
import t from 'tap';
import { nadAccountOf, password, signedIn, signedInAdmin } from './admin.js';
import { customerFleet, stopDeadlineMs, waitUntilReady } from './fleet-harness.js';

// The whole fleet as processes, driven only through the gateway with the SDK, as a client.
t.test('register → login → a call to each service → a transfer → refresh → logout → the old token refused', async (t) => {
  const { fleet, gateway, broker } = await customerFleet(t);
  const tag = `${Date.now()}-${process.pid}`;
  const { exitedEarly } = await waitUntilReady(fleet);
  t.notOk(exitedEarly, 'the fleet is up', { output: fleet.output() });

  const deviceKeys = new MemoryDeviceKeyStore();
  const tokens = new MemoryTokenStore();
  const client = new ElcorpClient({ baseUrl: gateway, deviceKeyStore: deviceKeys, tokenStore: tokens });
  const email = `journey-${tag}@example.na`;
  const user = await client.register({ email, password, fullName: 'Ndapewa Shikongo', phone: '+264811234567', agreedTerms: true });
  t.match(user, { email, status: 'active', roles: ['user'] });
  const login = await client.login({ email, password, deviceName: 'e2e' });
  t.equal(login.user.id, user.id);
  t.equal((await client.me()).id, user.id, 'identity through the gateway');

  // Money through the gateway: an admin (bootstrap-admin) deposits to this user (A), A pays B.
  const payee = await signedIn(gateway, `journey-payee-${tag}@example.na`, 'Ben Shikongo');
  const admin = await signedInAdmin(gateway, `journey-admin-${tag}@example.na`, { EVENT_SUBJECT_ROOT: broker.EVENT_SUBJECT_ROOT! });
  const [mine, theirs] = await Promise.all([nadAccountOf(client), nadAccountOf(payee)]);
  t.match([mine, theirs], [{ ownerId: user.id, balance: '0.00' }, { balance: '0.00' }], 'payments opened both NAD accounts');
  const deposit = await admin.payments.deposit({ accountId: mine.id, amount: '100.00', currency: 'NAD', reference: 'e2e cash' });
  t.match(deposit.result, { status: 'posted', toAccountId: mine.id, amount: '100.00' });
  const payeeUser = await payee.me();
  const sent = await client.payments.transfer({ fromAccountId: mine.id, to: { userId: payeeUser.id }, amount: '30.00', currency: 'NAD', description: 'e2e lunch' });
  t.match(sent, { result: { status: 'posted', fromAccountId: mine.id, toAccountId: theirs.id, amount: '30.00', initiatedBy: user.id }, replayed: false });
  const again = await client.payments.transfer({ fromAccountId: mine.id, to: { userId: payeeUser.id }, amount: '30.00', currency: 'NAD', description: 'e2e lunch' }, { idempotencyKey: sent.idempotencyKey });
  t.match(again, { result: { id: sent.result.id }, replayed: true }, 'a repeat with the same key moves nothing');
  t.equal((await client.payments.getAccount(mine.id)).balance, '70.00', "A's balance");
  t.equal((await payee.payments.getAccount(theirs.id)).balance, '30.00', "B's balance");
  t.match(await payee.payments.receipt(sent.result.id), { transferId: sent.result.id, status: 'posted', amount: '30.00', currency: 'NAD', from: { accountId: mine.id }, to: { accountId: theirs.id } });
  t.equal(Buffer.from((await client.payments.receiptPdf(sent.result.id)).subarray(0, 5)).toString('latin1'), '%PDF-', 'the receipt as a PDF');

  // Governance and compliance answer their own 404 problem through the gateway, which proves
  // the route, the token check and the proxy all the way there.
  for (const service of ['governance', 'compliance']) {
    const err = await client.request('GET', `/api/v1/${service}/nothing-here`).catch((e: unknown) => e);
    t.ok(err instanceof ElcorpApiError, `${service} answered`);
    t.match(err, { status: 404, code: 'not_found' }, `${service} reached`);
  }

  const before = await client.listSessions();
  const loggedIn = await tokens.load();
  await client.refresh();
  const refreshed = (await tokens.load())!;
  t.not(refreshed.accessToken, loggedIn?.accessToken, 'a new access token');
  t.not(refreshed.refreshToken, loggedIn?.refreshToken, 'a new refresh token');
  t.equal(refreshed.sessionId, before.items[0]?.id);
  t.equal(login.sessionId, refreshed.sessionId, 'the same session');
  t.equal((await client.me()).id, user.id, 'the new token works');

  const kept = { ...refreshed };
  await client.logout();
  // The same device presents the tokens it held before logging out.
  const stale = new MemoryTokenStore();
  await stale.save(kept);
  const sameDevice = new ElcorpClient({ baseUrl: gateway, deviceKeyStore: deviceKeys, tokenStore: stale });
  const refused = await sameDevice.me().catch((e: unknown) => e);
  t.ok(refused instanceof ElcorpApiError, 'the old token is refused');
  t.match(refused, { status: 401 });

  fleet.stop();
  t.same(await fleet.exitWithin(stopDeadlineMs), { code: 0, signal: null }, 'the fleet stops cleanly', { output: fleet.output() });
});
