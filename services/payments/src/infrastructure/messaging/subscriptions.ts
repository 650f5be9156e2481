import { streamName, type BrokerNames, type DomainEvent } from '@elcorp/contracts';
import type { Transaction } from '@elcorp/db';
import { appendToOutbox, openUnitOfWork, type MessagingRuntimeOptions } from '@elcorp/messaging';
import { onUserRegistered } from '../../application/accounts.js';
import { onUserErased } from '../../application/erasure.js';
import type { PaymentsDB } from '../db/schema.js';

type Consumers = NonNullable<MessagingRuntimeOptions<PaymentsDB>['consumers']>;

/**
 * What payments consumes (EVENTS.md): identity.user.registered opens the NAD account,
 * identity.user.erased scrubs the user's personal data. Handlers take the consumer's
 * transaction as a unit of work; their events are written with the inbox row.
 */
export function paymentsConsumers(names: BrokerNames): Consumers {
  return [
    {
      stream: streamName(names, 'IDENTITY'),
      durable: 'payments-identity',
      types: ['identity.user.registered', 'identity.user.erased'],
      handle: async (event: DomainEvent, trx: Transaction<PaymentsDB>) => {
        const { uow, close } = openUnitOfWork(trx);
        if (event.type === 'identity.user.registered') await onUserRegistered(event as DomainEvent<'identity.user.registered'>, uow);
        if (event.type === 'identity.user.erased') await onUserErased(event as DomainEvent<'identity.user.erased'>, uow);
        await appendToOutbox(trx, names, close());
      },
    },
  ];
}
