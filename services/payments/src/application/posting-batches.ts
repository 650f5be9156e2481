import type { DomainEvent } from '@elcorp/contracts';
import { postIdempotentTransfer, postIdempotentTransfers, type BatchedPosting, type IdempotentPostingResult } from '../infrastructure/db/ledger.js';
import type { PaymentsDeps } from './ports.js';

/** A plain transfer ready to post in one statement, and the event that announces it. */
export interface ReadyPosting {
  posting: Omit<BatchedPosting, 'eventId'>;
  event: DomainEvent;
}

export interface PostingBatches {
  /** Posts it with whatever else is waiting; its outcome is its own, as if posted alone. Throws PostingRaced as postIdempotentTransfer does. */
  post(ready: ReadyPosting): Promise<IdempotentPostingResult>;
}

export interface PostingBatchOptions {
  /** Postings in one statement (default 32). */
  batchMax?: number;
  /**
   * Statements posting at once (default 2): the next batch gathers while they run. One at a time
   * left Postgres idle during each commit's WAL flush (8 clients: 1,400/s); two overlap a flush
   * with the next statement (3,200/s, ~200 µs of Postgres CPU a transfer against ~300 alone).
   */
  inFlightMax?: number;
  /**
   * Transfers waiting for a statement (default 1,024: at ~3,000/s, a third of a second of
   * posting). Past it a transfer is refused with PostingQueueFull (503, retry), nothing written.
   */
  waitingMax?: number;
}

/** The queue of transfers waiting to post is full: nothing was written; the caller may retry. */
export class PostingQueueFull extends Error {
  constructor() {
    super('too many transfers are waiting to post');
    this.name = 'PostingQueueFull';
  }
}

interface Waiting extends ReadyPosting {
  resolve(result: IdempotentPostingResult): void;
  reject(err: unknown): void;
}

/**
 * Natural batching of plain transfers (as TigerBeetle batches): a transfer that finds no
 * statement posting goes at once and alone, in the one-transfer statement; those that arrive
 * while one runs wait and go together in the next, one statement, one commit and one WAL flush
 * for all. Nothing waits on a timer, so a lone request is never slower than before, and the
 * busier the service the larger the batches. A batch takes distinct sources and keys (the rest
 * wait for the next one); if its statement fails in any way (a key answered meanwhile, an error),
 * each of its transfers is posted alone instead, and gets its own answer.
 */
export function postingBatches(uowInOneStatement: PaymentsDeps['uowInOneStatement'], options: PostingBatchOptions = {}): PostingBatches {
  const batchMax = Math.max(1, options.batchMax ?? 32);
  const inFlightMax = Math.max(1, options.inFlightMax ?? 2);
  const waitingMax = Math.max(1, options.waitingMax ?? 1_024);
  const waiting: Waiting[] = [];
  let inFlight = 0;

  const alone = (ready: ReadyPosting) =>
    uowInOneStatement((uow) => postIdempotentTransfer(uow.trx, ready.posting, (when) => uow.recordInStatement([ready.event], when)));

  const together = async (batch: Waiting[]) => {
    let results: IdempotentPostingResult[];
    try {
      results = await uowInOneStatement((uow) =>
        postIdempotentTransfers(
          uow.trx,
          batch.map((w) => ({ ...w.posting, eventId: w.event.id })),
          (when) => uow.recordInStatement(batch.map((w) => w.event), when),
        ),
      );
    } catch {
      // The statement wrote nothing: each transfer's own statement gives its own outcome or error.
      await Promise.all(batch.map((w) => alone(w).then(w.resolve, w.reject)));
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i]!));
  };

  const pump = () => {
    while (inFlight < inFlightMax && waiting.length > 0) {
      const batch = takeBatch(waiting, batchMax);
      inFlight += 1;
      const posting = batch.length === 1 ? alone(batch[0]!).then(batch[0]!.resolve, batch[0]!.reject) : together(batch);
      void posting.finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  };

  return {
    post(ready) {
      if (waiting.length >= waitingMax) return Promise.reject(new PostingQueueFull());
      return new Promise((resolve, reject) => {
        waiting.push({ ...ready, resolve, reject });
        pump();
      });
    },
  };
}

/** Up to `max` waiting postings, oldest first, no two of one source account or one key; removed from `waiting`. */
function takeBatch(waiting: Waiting[], max: number): Waiting[] {
  const batch: Waiting[] = [];
  const sources = new Set<string>();
  const keys = new Set<string>();
  for (let i = 0; i < waiting.length && batch.length < max; ) {
    const { fromAccountId, lockName } = waiting[i]!.posting;
    if (sources.has(fromAccountId) || keys.has(lockName)) {
      i += 1;
      continue;
    }
    sources.add(fromAccountId);
    keys.add(lockName);
    batch.push(waiting.splice(i, 1)[0]!);
  }
  return batch;
}
