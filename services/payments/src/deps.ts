import type { BrokerNames } from '@elcorp/contracts';
import type { Kysely } from '@elcorp/db';
import { oneStatementUnitOfWork, unitOfWork } from '@elcorp/messaging';
import { postingBatches } from './application/posting-batches.js';
import type { PaymentsDeps } from './application/ports.js';
import { currencies, exponentOf, type Currency } from './domain/money.js';
import type { PaymentsDB } from './infrastructure/db/schema.js';

export interface PaymentsSettings {
  /** PAYMENTS_APPROVAL_THRESHOLD: a decimal amount applied in every currency's minor units. */
  approvalThreshold: string;
  approvalExpiryMs: number;
  now?: () => Date;
}

/** "50000.00" in each currency's minor units (all have two digits today). */
export function thresholdPerCurrency(decimal: string): Record<Currency, bigint> {
  const [major = '0', fraction = ''] = decimal.split('.');
  return Object.fromEntries(
    currencies.map((c) => {
      const exponent = exponentOf[c];
      return [c, BigInt(major) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0').slice(0, exponent) || '0')];
    }),
  ) as Record<Currency, bigint>;
}

export function paymentsDeps(db: Kysely<PaymentsDB>, names: BrokerNames, settings: PaymentsSettings): PaymentsDeps {
  const uowInOneStatement = oneStatementUnitOfWork(db, names);
  return {
    db,
    uow: unitOfWork(db, names),
    uowInOneStatement,
    postingBatches: postingBatches(uowInOneStatement),
    approvalThresholdMinor: thresholdPerCurrency(settings.approvalThreshold),
    approvalExpiryMs: settings.approvalExpiryMs,
    now: settings.now ?? (() => new Date()),
  };
}
