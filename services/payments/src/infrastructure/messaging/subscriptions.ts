import { on, type Subscription } from '@elcorp/messaging';
import { onUserRegistered } from '../../application/accounts.js';
import { onUserErased } from '../../application/erasure.js';
import type { PaymentsDB } from '../db/schema.js';

/**
 * What payments consumes (EVENTS.md), each type on its own durable `payments-<type>`:
 * identity.user.registered opens the NAD account, identity.user.erased scrubs the user's
 * personal data. Each handler runs in the consumer's transaction as a unit of work, so the
 * events it records commit with its effect and its inbox row.
 */
export const paymentsSubscriptions: ReadonlyArray<Subscription<PaymentsDB>> = [
  on('identity.user.registered', onUserRegistered),
  on('identity.user.erased', onUserErased),
];
