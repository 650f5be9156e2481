import { on, type Subscription } from '@elcorp/messaging';
import type { IdentityDeps } from '../../application/ports.js';
import { roleProjection } from '../../application/roles-projection.js';
import type { IdentityDB } from '../db/schema.js';

/** Every event identity consumes; each type gets its own durable, `identity-<type>`. */
export function identitySubscriptions(deps: IdentityDeps): ReadonlyArray<Subscription<IdentityDB>> {
  const roles = roleProjection(deps);
  return [on('governance.role.assigned', roles.assigned), on('governance.role.revoked', roles.revoked)];
}
