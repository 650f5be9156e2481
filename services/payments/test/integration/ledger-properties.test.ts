import { uuidv7 } from '@elcorp/contracts';
import fc from 'fast-check';
import t from 'tap';
import { approveTransfer, rejectTransfer, voidExpiredTransfers } from '../../src/application/approvals.js';
import type { Caller } from '../../src/application/ports.js';
import { reconcile } from '../../src/application/reconciliation.js';
import { createDeposit, createTransfer } from '../../src/application/transfers.js';
import { PaymentsError } from '../../src/domain/errors.js';
import { ledgerHarness } from './ledger-harness.js';

type Step =
  | { kind: 'deposit'; user: number; amount: bigint }
  | { kind: 'transfer'; from: number; to: number; amount: bigint }
  | { kind: 'approve' | 'reject'; pick: number; by: number }
  | { kind: 'expire' };

const users = 4;
const user = fc.integer({ min: 0, max: users - 1 });
// Threshold 100.00: amounts straddle it so some transfers are held.
const amount = fc.bigInt({ min: 1n, max: 200_00n });
const depositAmount = fc.bigInt({ min: 1n, max: 500_00n });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('deposit' as const), user, amount: depositAmount }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('transfer' as const), from: user, to: user, amount }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('approve' as const, 'reject' as const), pick: fc.nat(), by: user }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
);

t.test('random deposits, transfers, approvals, rejections and expiries keep Σ = 0 and no user below zero', async (t) => {
  let clock = new Date('2026-11-30T08:00:00Z');
  const ledger = await ledgerHarness(t, { approvalThreshold: '100.00', approvalExpiryMs: 60_000, now: () => clock });
  const people = await Promise.all(Array.from({ length: users }, (_, i) => ledger.register(`User ${i}`)));
  const staff: Caller = { userId: uuidv7(), actor: { userId: uuidv7() } };
  const pending: Array<{ id: string; from: number }> = [];

  const run = async (s: Step): Promise<void> => {
    switch (s.kind) {
      case 'deposit':
        await ledger.deps.uow((uow) => createDeposit(ledger.deps, uow, staff, { accountId: people[s.user]!.accountId, amountMinor: s.amount, currency: 'NAD', reference: 'p' }));
        return;
      case 'transfer': {
        const from = people[s.from]!;
        const made = await ledger.deps.uow((uow) => createTransfer(ledger.deps, uow, from, { fromAccountId: from.accountId, to: { accountId: people[s.to]!.accountId }, amountMinor: s.amount, currency: 'NAD' }));
        if (made.status === 'pending_approval') pending.push({ id: made.id, from: s.from });
        return;
      }
      case 'approve':
      case 'reject': {
        const held = pending[s.pick % Math.max(pending.length, 1)];
        if (!held) return;
        // Mostly a second person; now and then the initiator, who may reject but not approve.
        const by = people[s.by === 0 ? held.from : (held.from + s.by) % users]!;
        await (s.kind === 'approve' ? approveTransfer(ledger.deps, by, held.id) : rejectTransfer(ledger.deps, by, held.id, 'no'));
        pending.splice(pending.indexOf(held), 1);
        return;
      }
      case 'expire':
        clock = new Date(clock.getTime() + 61_000);
        await voidExpiredTransfers(ledger.deps);
        pending.length = 0; // every held transfer was created before the clock moved
    }
  };

  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
      for (const s of steps) {
        await run(s).catch((err: unknown) => {
          // Refusals are expected outcomes; anything else is a bug.
          if (!(err instanceof PaymentsError)) throw err;
        });
      }
      const inv = await ledger.invariants();
      return (inv.sums['NAD'] ?? 0n) === 0n && inv.lowestUserBalance >= 0n && inv.storedDiffers === 0;
    }),
    {
      numRuns: 20,
      // One sequence that surely takes every path, besides the random ones (which, being
      // random, once went without an approval).
      examples: [
        [
          [
            { kind: 'deposit', user: 0, amount: 500_00n },
            { kind: 'transfer', from: 0, to: 1, amount: 150_00n },
            { kind: 'approve', pick: 0, by: 1 },
            { kind: 'transfer', from: 0, to: 2, amount: 150_00n },
            { kind: 'reject', pick: 0, by: 2 },
            { kind: 'transfer', from: 0, to: 3, amount: 5_00n },
          ],
        ],
      ],
    },
  );
  // The sequences really exercised every path, not only refusals.
  for (const type of ['payments.deposit.posted', 'payments.transfer.posted', 'payments.transfer.pending_approval', 'payments.transfer.approved', 'payments.transfer.rejected']) {
    t.ok((await ledger.events(type)).length > 0, `some ${type}`);
  }
  const result = await reconcile(ledger.deps, null);
  t.equal(result.ledgerBalanced, true, 'reconciliation agrees');
  t.same(result.mismatches, []);
});
