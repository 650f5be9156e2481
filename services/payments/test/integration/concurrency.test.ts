import { uuidv7 } from '@elcorp/contracts';
import t from 'tap';
import { getAccount } from '../../src/application/accounts.js';
import { runIdempotent, fingerprintOf } from '../../src/application/idempotency.js';
import type { Caller } from '../../src/application/ports.js';
import { createDeposit, createTransfer } from '../../src/application/transfers.js';
import { PaymentsError } from '../../src/domain/errors.js';
import { compactDeltas } from '../../src/infrastructure/db/ledger.js';
import { ledgerHarness, type Ledger } from './ledger-harness.js';

const staff: Caller = { userId: uuidv7(), actor: { userId: uuidv7() } };
const deposit = (ledger: Ledger, accountId: string, amountMinor: bigint) =>
  ledger.deps.uow((uow) => createDeposit(ledger.deps, uow, staff, { accountId, amountMinor, currency: 'NAD', reference: 'fund' }));

t.test('500 concurrent transfers out of one account: exactly what it holds leaves, never below zero', async (t) => {
  const ledger = await ledgerHarness(t, { poolMax: 20 });
  const payer = await ledger.register('Pay Er');
  const payees = await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.register(`Payee ${i}`)));
  await deposit(ledger, payer.accountId, 300_00n);
  const outcomes = await Promise.allSettled(
    Array.from({ length: 500 }, (_, i) =>
      ledger.deps.uow((uow) => createTransfer(ledger.deps, uow, payer, { fromAccountId: payer.accountId, to: { accountId: payees[i % 20]!.accountId }, amountMinor: 1_00n, currency: 'NAD' })),
    ),
  );
  const posted = outcomes.filter((o) => o.status === 'fulfilled').length;
  const other = outcomes.find((o) => o.status === 'rejected' && !(o.reason instanceof PaymentsError));
  if (other) t.fail(String((other as PromiseRejectedResult).reason));
  const refused = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof PaymentsError && o.reason.code === 'payments.insufficient_funds').length;
  t.equal(posted, 300, '300 transfers of 1.00 fit into 300.00');
  t.equal(refused, 200, 'the rest are refused for funds, nothing else fails');
  t.equal((await getAccount(ledger.deps, payer, payer.accountId)).balance, '0.00');
  t.equal((await ledger.events('payments.transfer.posted')).length, 300, 'one event per posted transfer');
  const inv = await ledger.invariants();
  t.same(inv.sums, { NAD: 0n });
  t.equal(inv.lowestUserBalance >= 0n, true);
  t.equal(inv.storedDiffers, 0);
});

t.test('500 concurrent payers into one merchant: every credit lands, no lock on the merchant', async (t) => {
  const ledger = await ledgerHarness(t, { poolMax: 20 });
  const merchant = await ledger.register('Mer Chant');
  const payers = await Promise.all(Array.from({ length: 50 }, (_, i) => ledger.register(`Payer ${i}`)));
  await Promise.all(payers.map((p) => deposit(ledger, p.accountId, 10_00n)));
  const outcomes = await Promise.allSettled(
    Array.from({ length: 500 }, (_, i) => {
      const payer = payers[i % 50]!;
      return ledger.deps.uow((uow) => createTransfer(ledger.deps, uow, payer, { fromAccountId: payer.accountId, to: { accountId: merchant.accountId }, amountMinor: 1_00n, currency: 'NAD' }));
    }),
  );
  t.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 500);
  t.equal((await getAccount(ledger.deps, merchant, merchant.accountId)).balance, '500.00');
  t.equal(await compactDeltas(ledger.deps.db, { minDeltas: 1, accountsMax: 1000 }) > 0, true, 'deltas fold into the rows');
  t.equal((await getAccount(ledger.deps, merchant, merchant.accountId)).balance, '500.00', 'folding changes no balance');
  const inv = await ledger.invariants();
  t.same(inv.sums, { NAD: 0n });
  t.equal(inv.storedDiffers, 0);
});

t.test('1,000 concurrent retries of one Idempotency-Key move the money once', async (t) => {
  const ledger = await ledgerHarness(t, { poolMax: 20 });
  const ana = await ledger.register();
  const ben = await ledger.register('Ben B');
  await deposit(ledger, ana.accountId, 100_00n);
  const body = { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amount: '10.00', currency: 'NAD' };
  const request = { userId: ana.userId, key: 'retry-me', fingerprint: fingerprintOf('POST', '/transfers', body) };
  const attempt = () =>
    runIdempotent(
      ledger.deps,
      request,
      async (uow) => ({ status: 201, body: await createTransfer(ledger.deps, uow, ana, { fromAccountId: ana.accountId, to: { accountId: ben.accountId }, amountMinor: 10_00n, currency: 'NAD' }) }),
      (err) => ({ status: 422, body: { code: err.code } }),
    );
  const outcomes = await Promise.allSettled(Array.from({ length: 1000 }, attempt));
  const answers = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const inProgress = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof PaymentsError && o.reason.code === 'payments.request_in_progress').length;
  t.equal(answers.length + inProgress, 1000, 'every attempt is answered or told to wait');
  t.equal(answers.filter((a) => !a.replayed).length, 1, 'one attempt ran');
  const ids = new Set(answers.map((a) => (a.answer.body as { id: string }).id));
  t.equal(ids.size, 1, 'replays return the first answer');
  t.equal((await getAccount(ledger.deps, ana, ana.accountId)).balance, '90.00');
  t.equal((await ledger.events('payments.transfer.posted')).length, 1);
  const again = await attempt();
  t.equal(again.replayed, true);
  await t.rejects(runIdempotent(ledger.deps, { ...request, fingerprint: 'other' }, async () => ({ status: 201, body: {} }), () => ({ status: 422, body: {} })), { code: 'payments.idempotency_key_reused' });
});
