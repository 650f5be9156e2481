import type { DomainEvent } from '@elcorp/contracts';
import type { UnitOfWork } from '@elcorp/messaging';
import { onUserRegistered } from '../../application/accounts.js';
import { onUserErased } from '../../application/erasure.js';
import type { PaymentsDB } from '../db/schema.js';

/**
 * What payments consumes (EVENTS.md): identity.user.registered opens the NAD account,
 * identity.user.erased scrubs the user's personal data. Each handler runs in the consumer's
 * transaction as a unit of work, so the events it records commit with its inbox row.
 * Attached with the typed subscriptions seam (issue 8 §2) as `on(type, handle)`.
 */
export const paymentsSubscriptions = {
  'identity.user.registered': onUserRegistered,
  'identity.user.erased': onUserErased,
} satisfies { [T in 'identity.user.registered' | 'identity.user.erased']: (event: DomainEvent<T>, uow: UnitOfWork<PaymentsDB>) => Promise<void> };
