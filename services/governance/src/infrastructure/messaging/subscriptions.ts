import { on, type Subscription } from '@elcorp/messaging';
import { onUserErased, onUserRegistered, type RegistrationDeps } from '../../application/registrations.js';
import type { GovernanceDB } from '../db/schema.js';

/** Every event governance consumes; each type gets its own durable, `governance-<type>`. */
export function governanceSubscriptions(deps: RegistrationDeps): ReadonlyArray<Subscription<GovernanceDB>> {
  return [
    on('identity.user.registered', (event, uow) => onUserRegistered(deps, event, uow)),
    on('identity.user.erased', (event, uow) => onUserErased(event, uow)),
  ];
}
