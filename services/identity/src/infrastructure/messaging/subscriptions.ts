import { on, type Subscription } from '@elcorp/messaging';
import { applyRoleAssigned, applyRoleRevoked } from '../../application/roles-projection.js';
import type { IdentityDB } from '../db/schema.js';

/** Every event identity consumes; each type gets its own durable, `identity-<type>`. */
export const identitySubscriptions: ReadonlyArray<Subscription<IdentityDB>> = [
  on('governance.role.assigned', applyRoleAssigned),
  on('governance.role.revoked', applyRoleRevoked),
];
