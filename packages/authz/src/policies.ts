import type { Permission } from '@elcorp/contracts';
import { actionRef, cedarString, roleType } from './vocabulary.js';

export interface PolicySource {
  id: string;
  source: string;
}

/** Ids of generated role policies; custom policy ids may not take this prefix. */
export const rolePolicyPrefix = 'role:';

/**
 * The role→permission table as Cedar: one `permit` per role that grants anything, with id
 * `role:<name>`. Own properties only, so a role named like an Object prototype member is an
 * ordinary (empty) role, never `Object.prototype`'s.
 */
export function rolePolicies(roles: Readonly<Record<string, readonly Permission[]>>): PolicySource[] {
  const out: PolicySource[] = [];
  for (const [name, granted] of Object.entries(roles)) {
    const unique = [...new Set(granted)].sort();
    if (unique.length === 0) continue;
    out.push({
      id: `${rolePolicyPrefix}${name}`,
      source: `permit(principal in ${roleType}::${cedarString(name)}, action in [${unique.map(actionRef).join(', ')}], resource);`,
    });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
