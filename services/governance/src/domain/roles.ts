import { permissions, systemRoles, type Permission } from '@elcorp/contracts';
import { governanceErrors, type FieldProblem, type GovernanceError } from './errors.js';

export const adminRole = 'admin';
export const defaultRole = 'user';

/** Lower-case, starts with a letter; also safe as a Cedar entity id and a URL path segment. */
export const roleNamePattern = /^[a-z][a-z0-9_-]{0,63}$/;

export function isSystemRole(name: string): boolean {
  return Object.hasOwn(systemRoles, name);
}

/** The seed rows: every system role with its fixed permissions. */
export function systemRoleSeeds(): { name: string; permissions: Permission[] }[] {
  return Object.entries(systemRoles).map(([name, granted]) => ({ name, permissions: [...granted] }));
}

const known: ReadonlySet<string> = new Set(permissions);

/**
 * Checks a custom role's permission list: every entry from the catalogue (422 naming each
 * unknown one), duplicates folded, returned in catalogue order so equal sets compare equal.
 */
export function checkPermissions(requested: readonly string[], path = 'body.permissions'): Permission[] | GovernanceError {
  const problems: FieldProblem[] = [];
  requested.forEach((p, index) => {
    if (!known.has(p)) problems.push({ path: `${path}.${index}`, message: `unknown permission "${p}"` });
  });
  if (problems.length > 0) return governanceErrors.unknownPermission(problems);
  const wanted = new Set(requested);
  return permissions.filter((p) => wanted.has(p));
}

/** System roles are fixed by API.md: a change would silently diverge from every service's built-in bundle. */
export function guardCustomRole(name: string): GovernanceError | undefined {
  return isSystemRole(name) ? governanceErrors.systemRole(name) : undefined;
}

/**
 * The last-admin guard: taking `admin` from a user is refused when they are its only holder,
 * so the platform can never be left without someone who can manage roles. `holders` must
 * be read under the lock that serialises admin revocations (see the repository).
 */
export function guardRevocation(role: string, userId: string, holders: readonly string[]): GovernanceError | undefined {
  if (role !== adminRole || !holders.includes(userId)) return undefined;
  return holders.length <= 1 ? governanceErrors.lastAdmin() : undefined;
}

/**
 * The roles a newly registered user gets: `user`, plus `admin` when the email is the
 * configured bootstrap email and no admin has ever existed (so re-registering that email
 * after the platform has admins grants nothing special).
 */
export function rolesOnRegistration(email: string, bootstrapAdminEmail: string | undefined, adminEverAssigned: boolean): string[] {
  const roles = [defaultRole];
  if (bootstrapAdminEmail && !adminEverAssigned && normaliseEmail(email) === normaliseEmail(bootstrapAdminEmail)) roles.push(adminRole);
  return roles;
}

function normaliseEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}
