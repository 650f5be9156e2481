import type { Actor } from '@elcorp/contracts';
import type { Kysely } from '@elcorp/db';
import type { RunInUnitOfWork, UnitOfWork } from '@elcorp/messaging';
import type { Currency } from '../domain/money.js';
import type { PaymentsDB } from '../infrastructure/db/schema.js';
import type { PostingBatches } from './posting-batches.js';

export type { Actor };
export type PaymentsUow = UnitOfWork<PaymentsDB>;

/** What every payments use case runs on. */
export interface PaymentsDeps {
  db: Kysely<PaymentsDB>;
  uow: RunInUnitOfWork<PaymentsDB>;
  /** A unit of work that is one statement, without BEGIN/COMMIT (oneStatementUnitOfWork). */
  uowInOneStatement: <T>(work: (uow: PaymentsUow) => Promise<T>) => Promise<T>;
  /** Plain transfers posted together while a statement posting others runs (postingBatches over uowInOneStatement). */
  postingBatches: PostingBatches;
  /** Strictly above this many minor units a transfer waits for approval (per currency). */
  approvalThresholdMinor: Readonly<Record<Currency, bigint>>;
  /** How long a held transfer waits for a decision before it is voided. */
  approvalExpiryMs: number;
  now: () => Date;
}

/** Who is asking, as the use cases need it (the principal, minus transport details). */
export interface Caller {
  userId: string;
  /** The caller holds payment:reconcile: may read any account or transfer. */
  canReadAll?: boolean;
  actor: Actor;
}
