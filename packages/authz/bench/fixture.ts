import { permissions, systemRoles, type Permission } from '@elcorp/contracts';
import type { AuthzRequest, PolicyBundle } from '../dist/index.js';

/** Deterministic pseudo-random numbers, so every run measures the same workload. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
const action = (p: Permission) => `Elcorp::Action::"${p}"`;

export const userCount = 2_000;
export const customRoleCount = 50;
/** Actions that carry org-wide conditional rules (hours, MFA, amounts) in this fixture. */
export const guardedActions: readonly Permission[] = ['payment:approve', 'audit:export', 'user:delete', 'role:manage', 'policy:manage'];

/**
 * The full system bundle plus 1,000 custom policies in a plausible mix:
 *  600 per-user amount caps (the API.md example),       200 role-scoped conditional permits,
 *  150 per-user unconditional forbids,                   50 org-wide conditional forbids on
 *  the guarded actions (hours, MFA, amounts).
 */
export function fixtureBundle(version = 1): PolicyBundle {
  const rand = random(42);
  const roles: Record<string, Permission[]> = Object.fromEntries(Object.entries(systemRoles).map(([name, granted]) => [name, [...granted]]));
  for (let k = 0; k < customRoleCount; k++) roles[`team-${k}`] = [pick(rand, permissions), pick(rand, permissions)].filter((p, i, all) => all.indexOf(p) === i);
  const policies: PolicyBundle['policies'] = [];
  for (let i = 0; i < 600; i++) {
    policies.push({ id: `cap-${i}`, source: `forbid (principal == Elcorp::User::"u-${i}", action == ${action('payment:create')}, resource) when { context.amountMinor > ${5_000 + i * 100} };` });
  }
  for (let i = 0; i < 200; i++) {
    const role = `team-${i % customRoleCount}`;
    policies.push({ id: `team-hours-${i}`, source: `permit (principal in Elcorp::Role::"${role}", action == ${action(pick(rand, permissions))}, resource) when { context.hourUtc >= 6 && context.hourUtc < 20 };` });
  }
  for (let i = 0; i < 150; i++) {
    policies.push({ id: `freeze-${i}`, source: `forbid (principal == Elcorp::User::"u-${600 + i}", action == ${action(pick(rand, permissions))}, resource);` });
  }
  for (let i = 0; i < 50; i++) {
    const guarded = guardedActions[i % guardedActions.length] as Permission;
    const condition =
      guarded === 'payment:approve' ? `context.amountMinor > ${10_000_000 + i} && !context.mfa` : i % 2 === 0 ? `!context.mfa && context.hourUtc == ${i % 24}` : `context.weekdayUtc == ${i % 7} && context.hourUtc < 2`;
    policies.push({ id: `org-${i}`, source: `forbid (principal, action == ${action(guarded)}, resource) when { ${condition} };` });
  }
  return { version, createdAt: new Date().toISOString(), roles, policies };
}

const resourceFor: Record<string, AuthzRequest['resource']['type']> = {
  user: 'User', payment: 'Account', role: 'Role', policy: 'Policy', request: 'Request', audit: 'AuditLog', report: 'Report', incident: 'Incident',
};

/** Requests over every action, users with and without their own policies, system and custom roles. */
export function fixtureRequests(count: number): AuthzRequest[] {
  const rand = random(7);
  const roleNames = ['admin', 'staff', 'user', 'guest', ...Array.from({ length: customRoleCount }, (_, k) => `team-${k}`)];
  return Array.from({ length: count }, () => {
    const act = pick(rand, permissions);
    const roles = ['user', pick(rand, roleNames)];
    const money = act === 'payment:create' || act === 'payment:deposit' || act === 'payment:approve';
    return {
      principal: { userId: `u-${Math.floor(rand() * userCount)}`, roles },
      action: act,
      resource: { type: resourceFor[act.split(':')[0] as string] ?? 'Account', id: `r-${Math.floor(rand() * 1000)}`, attributes: { owner: `u-${Math.floor(rand() * userCount)}` } },
      context: { ...(money ? { amountMinor: Math.floor(rand() * 20_000_000), currency: 'NAD' } : {}), mfa: rand() < 0.5 },
    };
  });
}
