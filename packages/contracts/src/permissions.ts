/** The permission catalogue and system roles (API.md, Governance). */
export const permissions = [
  'user:create',
  'user:read',
  'user:update',
  'user:delete',
  'payment:create',
  'payment:deposit',
  'payment:approve',
  'payment:reconcile',
  'role:manage',
  'policy:manage',
  'request:approve',
  'audit:view',
  'audit:export',
  'report:generate',
  'incident:manage',
] as const;
export type Permission = (typeof permissions)[number];

export const systemRoles: Readonly<Record<'admin' | 'staff' | 'user' | 'guest', readonly Permission[]>> = {
  admin: permissions,
  staff: ['user:read', 'payment:create', 'payment:approve', 'request:approve', 'audit:view', 'incident:manage'],
  user: ['payment:create'],
  guest: [],
};

/**
 * Permissions granted by system roles. Until governance publishes its policy bundle (custom
 * roles and Cedar policies), this table is what services decide with.
 */
export function systemPermissionsOf(roles: readonly string[]): Set<Permission> {
  const granted = new Set<Permission>();
  for (const role of roles) {
    // Own properties only: a custom role named `constructor` must not reach the prototype.
    if (!Object.hasOwn(systemRoles, role)) continue;
    for (const permission of systemRoles[role as keyof typeof systemRoles]) granted.add(permission);
  }
  return granted;
}
