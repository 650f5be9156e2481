import type { ActionConstraint, EntityUidJson, PolicyJson, PrincipalConstraint, ResourceConstraint } from './cedar.js';
import { actionType, roleType, userType } from './vocabulary.js';

/**
 * Policy scopes (the `principal, action, resource` head) matched in JavaScript. A policy
 * without `when`/`unless` is decided by its scope alone, so most decisions never cross into
 * wasm; conditions are always left to Cedar. The semantics follow Cedar's for the entity
 * data this package builds: a User's parents are its roles, Roles and resources have none
 * (except a resource that is the principal itself).
 */
export interface Uid {
  type: string;
  id: string;
}

export interface ScopeRequest {
  principal: Uid;
  roles: ReadonlySet<string>;
  action: string;
  resource: Uid;
  /** The resource's parents: the principal's roles when the resource is the principal. */
  resourceRoles: ReadonlySet<string>;
}

export function uidOf(json: EntityUidJson): Uid {
  return '__entity' in json ? json.__entity : json;
}

const sameUid = (a: Uid, b: Uid) => a.type === b.type && a.id === b.id;

/** `entity in target`: equal, or target is one of entity's roles. */
function inEntity(entity: Uid, roles: ReadonlySet<string>, target: Uid): boolean {
  return sameUid(entity, target) || (target.type === roleType && roles.has(target.id));
}

function matchEntity(constraint: PrincipalConstraint | ResourceConstraint, entity: Uid, roles: ReadonlySet<string>): boolean {
  switch (constraint.op) {
    case 'All':
      return true;
    case '==':
      return 'entity' in constraint && sameUid(uidOf(constraint.entity), entity);
    case 'in':
      return 'entity' in constraint && inEntity(entity, roles, uidOf(constraint.entity));
    case 'is':
      if (constraint.entity_type !== entity.type) return false;
      if (!constraint.in) return true;
      return 'entity' in constraint.in && inEntity(entity, roles, uidOf(constraint.in.entity));
  }
}

function matchAction(constraint: ActionConstraint, action: string): boolean {
  const target: Uid = { type: actionType, id: action };
  switch (constraint.op) {
    case 'All':
      return true;
    case '==':
      return 'entity' in constraint && sameUid(uidOf(constraint.entity), target);
    case 'in':
      // Actions form no groups in the schema, so `in` is membership in the listed actions.
      if ('entities' in constraint) return constraint.entities.some((e) => sameUid(uidOf(e), target));
      return sameUid(uidOf(constraint.entity), target);
  }
}

export function scopeMatches(policy: Pick<PolicyJson, 'principal' | 'action' | 'resource'>, request: ScopeRequest): boolean {
  return (
    matchAction(policy.action, request.action) &&
    matchEntity(policy.principal, request.principal, request.roles) &&
    matchEntity(policy.resource, request.resource, request.resourceRoles)
  );
}

/** Actions a scope can match: `undefined` for every action. */
export function actionsOf(constraint: ActionConstraint): string[] | undefined {
  if (constraint.op === 'All') return undefined;
  const uids = constraint.op === '==' ? ('entity' in constraint ? [constraint.entity] : []) : 'entities' in constraint ? constraint.entities : [constraint.entity];
  return uids.map(uidOf).filter((uid) => uid.type === actionType).map((uid) => uid.id);
}

/**
 * Which principals a scope can match, to pre-select candidates: one user, one role, or any.
 * `any` is always safe (the exact match runs afterwards).
 */
export type PrincipalKey = { kind: 'user'; id: string } | { kind: 'role'; id: string } | { kind: 'any' };

export function principalKeyOf(constraint: PrincipalConstraint): PrincipalKey {
  const target = constraint.op === '==' || constraint.op === 'in' ? ('entity' in constraint ? uidOf(constraint.entity) : undefined) : constraint.op === 'is' && constraint.in && 'entity' in constraint.in ? uidOf(constraint.in.entity) : undefined;
  if (!target) return { kind: 'any' };
  if (target.type === userType) return { kind: 'user', id: target.id };
  if (target.type === roleType && constraint.op !== '==') return { kind: 'role', id: target.id };
  return { kind: 'any' };
}
