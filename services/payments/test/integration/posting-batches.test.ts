import { createEvent, uuidv7 } from '@elcorp/contracts';
import { sql } from '@elcorp/db';
import t from 'tap';
import { getAccount } from '../../src/application/accounts.js';
import { idempotencyCutoff, idempotencyLockName } from '../../src/application/idempotency.js';
import { PostingQueueFull, postingBatches, type ReadyPosting } from '../../src/application/posting-batches.js';
import type { Caller, PaymentsDeps } from '../../src/application/ports.js';
import { createDeposit, postTransferAtOnce } from '../../src/application/transfers.js';
import { formatAmount } from '../../src/domain/money.js';
import { compactDeltas, postIdempotentTransfers } from '../../src/infrastructure/db/ledger.js';
import { ledgerHarness, type Ledger } from './ledger-harness.js';

// Plain transfers that arrive while another posts go together in one statement; each keeps the
// outcome it would have had alone.

const staff: Caller = { userId: uuidv7(), actor: { userId: uuidv7() } };

/** Registered and funded, the deposit folded into the row (as the compaction schedule does), so a debit can post in one statement. */
async function funded(ledger: Ledger, names: string[], amountMinor: bigint): Promise<Array<Caller & { accountId: string }>> {
  const people = [];
  for (const name of names) {
    const person = await ledger.register(name);
    if (amountMinor > 0n) await ledger.deps.uow((uow) => createDeposit(ledger.deps, uow, staff, { accountId: person.accountId, amountMinor, currency: 'NAD', reference: 'fund' }));
    people.push(person);
  }
  await compactDeltas(ledger.deps.db, { minDeltas: 1, accountsMax: 1000 });
  return people;
}

function ready(from: Caller & { accountId: string }, toAccountId: string, amountMinor: bigint, key = uuidv7()): ReadyPosting {
  const transferId = uuidv7();
  const at = new Date();
  return {
    posting: {
      transferId,
      userId: from.userId,
      fromAccountId: from.accountId,
      toAccountId,
      amount: amountMinor,
      currency: 'NAD',
      description: null,
      at,
      lockName: idempotencyLockName({ userId: from.userId, key }),
      key,
      fingerprint: `fingerprint of ${transferId}`,
      responseStatus: 201,
      responseBody: JSON.stringify({ id: transferId }),
      cutoff: idempotencyCutoff(at),
    },
    event: createEvent('payments.transfer.posted', {
      subject: { type: 'transfer', id: transferId },
      actor: from.actor,
      data: { transferId, fromAccountId: from.accountId, toAccountId, amount: formatAmount(amountMinor, 'NAD'), currency: 'NAD' },
    }),
  };
}

const postTogether = (ledger: Ledger, batch: ReadyPosting[]) =>
  ledger.deps.uowInOneStatement((uow) =>
    postIdempotentTransfers(
      uow.trx,
      batch.map((r) => ({ ...r.posting, eventId: r.event.id })),
      (when) => uow.recordInStatement(batch.map((r) => r.event), when),
    ),
  );

const balanceOf = async (ledger: Ledger, who: Caller & { accountId: string }) => (await getAccount(ledger.deps, who, who.accountId)).balance;

async function postedTransferIds(ledger: Ledger): Promise<string[]> {
  return (await ledger.events('payments.transfer.posted')).map((e) => e.data.transferId as string).sort();
}

t.test('one statement, four transfers, one source short: the other three post with their events and answers, the short one writes nothing', async (t) => {
  const ledger = await ledgerHarness(t);
  const [ana, ben, dan] = await funded(ledger, ['Ana Nangolo', 'Ben Shikongo', 'Dan Iipinge'], 100_00n);
  const [cat, merchant] = await funded(ledger, ['Cat Short', 'Mer Chant'], 0n);
  const batch = [ready(ana!, merchant!.accountId, 10_00n), ready(ben!, merchant!.accountId, 20_00n), ready(cat!, merchant!.accountId, 5_00n), ready(dan!, ana!.accountId, 30_00n)];

  const results = await postTogether(ledger, batch);

  t.same(results, [
    { locked: true, posted: true },
    { locked: true, posted: true },
    { locked: true, posted: false },
    { locked: true, posted: true },
  ]);
  t.equal(await balanceOf(ledger, ana!), '120.00', 'Ana paid 10.00 and received 30.00 in the same statement');
  t.equal(await balanceOf(ledger, ben!), '80.00');
  t.equal(await balanceOf(ledger, cat!), '0.00', 'nothing left the short account');
  t.equal(await balanceOf(ledger, dan!), '70.00');
  t.equal(await balanceOf(ledger, merchant!), '30.00');
  const posted = [batch[0]!, batch[1]!, batch[3]!].map((r) => r.posting.transferId).sort();
  t.same(await postedTransferIds(ledger), posted, 'one event per posted transfer, none for the short one');
  const transfers = await ledger.deps.db.selectFrom('transfers').select('id').where('kind', '=', 'transfer').execute();
  t.same(transfers.map((r) => r.id).sort(), posted);
  const answers = await ledger.deps.db.selectFrom('idempotency_keys').select(['key', 'response_status']).execute();
  t.same(answers.map((a) => a.key).sort(), [batch[0]!, batch[1]!, batch[3]!].map((r) => r.posting.key).sort(), 'an answer stored for each posted key only');
  const inv = await ledger.invariants();
  t.same(inv.sums, { NAD: 0n });
  t.equal(inv.lowestUserBalance >= 0n, true);
  t.equal(inv.storedDiffers, 0);
});

t.test('one statement: a key already answered or held elsewhere posts nothing for that transfer, the others post', async (t) => {
  const ledger = await ledgerHarness(t);
  const [ana, ben, dan, merchant] = await funded(ledger, ['Ana Nangolo', 'Ben Shikongo', 'Dan Iipinge', 'Mer Chant'], 100_00n);
  const answered = ready(ana!, merchant!.accountId, 10_00n, 'answered-before');
  await ledger.deps.db
    .insertInto('idempotency_keys')
    .values({ user_id: ana!.userId, key: 'answered-before', fingerprint: answered.posting.fingerprint, response_status: 201, response_body: '{}', created_at: new Date() })
    .execute();
  const held = ready(dan!, merchant!.accountId, 10_00n);
  // Another session holds Dan's key (an attempt still running): the batch must not wait for it.
  const other = await ledger.deps.db.connection().execute(async (connection) => {
    await sql`SELECT pg_advisory_lock(hashtextextended(${held.posting.lockName}, 0))`.execute(connection);
    try {
      return await postTogether(ledger, [answered, ready(ben!, merchant!.accountId, 10_00n), held]);
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtextextended(${held.posting.lockName}, 0))`.execute(connection);
    }
  });
  t.same(other, [
    { locked: true, posted: false },
    { locked: true, posted: true },
    { locked: false, posted: false },
  ]);
  t.equal(await balanceOf(ledger, ana!), '100.00', 'the answered key moved nothing again');
  t.equal(await balanceOf(ledger, ben!), '90.00');
  t.equal(await balanceOf(ledger, dan!), '100.00', 'the held key moved nothing');
  t.equal(await balanceOf(ledger, merchant!), '110.00');
  t.equal((await postedTransferIds(ledger)).length, 1);
});

/** postingBatches over the ledger's one-statement units, counting the statements (and failing the ones `fail` picks). */
function counted(deps: PaymentsDeps, fail: (statement: number) => boolean = () => false) {
  let statements = 0;
  const batches = postingBatches(
    (work) => {
      statements += 1;
      if (fail(statements)) return Promise.reject(new Error('connection lost'));
      return deps.uowInOneStatement(work);
    },
    { inFlightMax: 1 },
  );
  return { batches, statements: () => statements };
}

t.test('transfers that arrive while one posts go together in the next statement, two of one source never in the same one', async (t) => {
  const ledger = await ledgerHarness(t);
  const [ana, ben, cat, dan, merchant] = await funded(ledger, ['Ana Nangolo', 'Ben Shikongo', 'Cat Ndapewa', 'Dan Iipinge', 'Mer Chant'], 100_00n);
  const { batches, statements } = counted(ledger.deps);
  // The first goes at once, alone; the rest wait for it: Ana, Ben, Cat together, then Ana's second.
  const outcomes = await Promise.all(
    [ready(dan!, merchant!.accountId, 1_00n), ready(ana!, merchant!.accountId, 10_00n), ready(ben!, merchant!.accountId, 10_00n), ready(ana!, merchant!.accountId, 15_00n), ready(cat!, ana!.accountId, 50_00n)].map((r) =>
      batches.post(r),
    ),
  );
  t.same(outcomes, Array.from({ length: 5 }, () => ({ locked: true, posted: true })));
  t.equal(statements(), 3, 'alone, then three together, then the second debit of Ana');
  t.equal(await balanceOf(ledger, ana!), '125.00', 'both of Ana’s debits and Cat’s credit');
  t.equal(await balanceOf(ledger, merchant!), '136.00');
  t.equal((await postedTransferIds(ledger)).length, 5);
  t.same((await ledger.invariants()).sums, { NAD: 0n });
});

t.test('a batch whose statement fails posts each of its transfers alone, each with its own outcome', async (t) => {
  const ledger = await ledgerHarness(t);
  const [ana, ben, cat, merchant] = await funded(ledger, ['Ana Nangolo', 'Ben Shikongo', 'Cat Ndapewa', 'Mer Chant'], 100_00n);
  const { batches, statements } = counted(ledger.deps, (statement) => statement === 2);
  const outcomes = await Promise.all(
    [ready(ana!, merchant!.accountId, 10_00n), ready(ben!, merchant!.accountId, 10_00n), ready(cat!, merchant!.accountId, 500_00n)].map((r) => batches.post(r)),
  );
  t.same(outcomes, [
    { locked: true, posted: true },
    { locked: true, posted: true },
    { locked: true, posted: false },
  ], 'Cat’s transfer, too large, is left to the general path');
  t.equal(statements(), 4, 'Ana alone, the failed batch of Ben and Cat, then each of them alone');
  t.equal(await balanceOf(ledger, merchant!), '120.00');
  t.equal((await postedTransferIds(ledger)).length, 2);
});

t.test('160 concurrent plain transfers from 20 payers holding 5.00 each: exactly 5 of each payer post, in batches, never below zero', async (t) => {
  const ledger = await ledgerHarness(t, { poolMax: 20 });
  const payers = await funded(ledger, Array.from({ length: 20 }, (_, i) => `Payer ${i}`), 5_00n);
  const [merchant] = await funded(ledger, ['Mer Chant'], 0n);
  const outcomes = await Promise.all(
    Array.from({ length: 160 }, (_, i) => {
      const payer = payers[i % 20]!;
      const request = { fromAccountId: payer.accountId, to: { accountId: merchant!.accountId }, amountMinor: 1_00n, currency: 'NAD' as const };
      return postTransferAtOnce(ledger.deps, payer, request, { userId: payer.userId, key: `k${i}`, fingerprint: `f${i}` });
    }),
  );
  const postedPerPayer = payers.map((_, p) => outcomes.filter((o, i) => i % 20 === p && o !== undefined).length);
  t.same(postedPerPayer, payers.map(() => 5), 'what each payer held left it, no more (the rest go to the general path)');
  for (const payer of payers) t.equal(await balanceOf(ledger, payer), '0.00');
  t.equal(await balanceOf(ledger, merchant!), '100.00');
  t.equal((await postedTransferIds(ledger)).length, 100, 'one event per posted transfer');
  t.equal((await ledger.deps.db.selectFrom('idempotency_keys').select('key').execute()).length, 100, 'one answer per posted transfer');
  const inv = await ledger.invariants();
  t.same(inv.sums, { NAD: 0n });
  t.equal(inv.lowestUserBalance >= 0n, true);
  t.equal(inv.storedDiffers, 0);
});

t.test('past waitingMax a transfer is refused at once with PostingQueueFull, nothing written; the waiting ones post', async (t) => {
  const ledger = await ledgerHarness(t);
  const payers = await funded(ledger, ['Ana Nangolo', 'Ben Shikongo', 'Cat Ndapewa', 'Dan Iipinge'], 100_00n);
  const [merchant] = await funded(ledger, ['Mer Chant'], 0n);
  // The first statement is held until the queue has been seen full.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  const batches = postingBatches(
    async (work) => {
      if (first) {
        first = false;
        await held;
      }
      return ledger.deps.uowInOneStatement(work);
    },
    { inFlightMax: 1, waitingMax: 2 },
  );
  const accepted = payers.slice(0, 3).map((payer) => batches.post(ready(payer, merchant!.accountId, 1_00n)));
  const refused = await batches.post(ready(payers[3]!, merchant!.accountId, 1_00n)).catch((err: unknown) => err);
  t.ok(refused instanceof PostingQueueFull, 'one in flight, two waiting: the fourth is refused');
  release();
  t.same(await Promise.all(accepted), Array.from({ length: 3 }, () => ({ locked: true, posted: true })));
  t.equal(await balanceOf(ledger, payers[3]!), '100.00', 'the refused transfer moved nothing');
  t.equal(await balanceOf(ledger, merchant!), '3.00');
  t.equal((await postedTransferIds(ledger)).length, 3);
});
