import { permissions, systemRoles, type Permission } from '@elcorp/contracts';
import { cedar, type DetailedError, type PolicyJson } from './cedar.js';
import { rolePolicies, rolePolicyPrefix, type PolicySource } from './policies.js';
import { cedarSchema } from './vocabulary.js';

/**
 * What governance publishes: the role table and the custom policies. Generated role
 * policies are not stored; every reader derives them from `roles` at load.
 */
export interface PolicyBundle {
  version: number;
  createdAt: string;
  roles: Record<string, Permission[]>;
  policies: Array<{ id: string; source: string }>;
}

export const bundleLimits = {
  roles: 1000,
  roleNameLength: 64,
  /** As many as `governance.policy.published` can name. */
  policies: 1000,
  policyIdLength: 128,
  policySourceLength: 10_000,
} as const;

/** Custom policy ids: 1–128 of letters, digits and `_ . : -`, not starting `role:`. */
export const policyIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function isCustomPolicyId(id: string): boolean {
  return policyIdPattern.test(id) && !id.startsWith(rolePolicyPrefix);
}

export type PolicyCheck = { ok: true } | { ok: false; errors: string[] };

/** A bundle that cannot be loaded; `errors` says why (Cedar's messages where Cedar refused). */
export class BundleError extends Error {
  constructor(readonly errors: string[]) {
    super(`policy bundle refused: ${errors.slice(0, 5).join('; ')}`);
    this.name = 'BundleError';
  }
}

function describe(error: DetailedError): string {
  return error.help ? `${error.message} (${error.help})` : error.message;
}

/** Parses and validates `policies` against the schema; one message per problem. */
function cedarErrors(policies: Record<string, string>): string[] {
  const answer = cedar.validate({ schema: cedarSchema, policies: { staticPolicies: policies }, validationSettings: { mode: 'strict' } });
  if (answer.type === 'failure') return answer.errors.map(describe);
  return answer.validationErrors.map((e) => describe(e.error));
}

/**
 * Cedar's validator on one custom policy, against the vocabulary's schema. Governance
 * answers 422 with `errors` when it is not ok.
 */
export function validatePolicy(source: string, id: string): PolicyCheck {
  if (!isCustomPolicyId(id)) {
    return { ok: false, errors: [`policy id must match ${policyIdPattern.source} and not start with "${rolePolicyPrefix}"`] };
  }
  if (source.length === 0 || source.length > bundleLimits.policySourceLength) {
    return { ok: false, errors: [`policy source must be 1–${bundleLimits.policySourceLength} characters`] };
  }
  const errors = cedarErrors({ [id]: source });
  return errors.length === 0 ? { ok: true } : { ok: false, errors };
}

export interface BuildBundleInput {
  version: number;
  roles: Readonly<Record<string, readonly Permission[]>>;
  policies: ReadonlyArray<{ id: string; source: string }>;
  createdAt?: Date;
}

/** A bundle for publishing; checked as every reader will check it, so a bad one never leaves. */
export function buildBundle(input: BuildBundleInput): PolicyBundle {
  const roles: Record<string, Permission[]> = {};
  for (const [name, granted] of Object.entries(input.roles)) {
    Object.defineProperty(roles, name, { value: [...new Set(granted)].sort(), enumerable: true, writable: true, configurable: true });
  }
  const bundle: PolicyBundle = {
    version: input.version,
    createdAt: (input.createdAt ?? new Date()).toISOString(),
    roles,
    policies: input.policies.map(({ id, source }) => ({ id, source })),
  };
  checkBundle(bundle);
  return bundle;
}

/** Used until the first bundle arrives: the system roles, no custom policy. */
export const systemBundle: PolicyBundle = Object.freeze({
  version: 0,
  createdAt: new Date(0).toISOString(),
  roles: Object.freeze(Object.fromEntries(Object.entries(systemRoles).map(([name, granted]) => [name, Object.freeze([...granted]) as Permission[]]))),
  policies: [],
});

/** A checked bundle: every policy (generated and custom) parsed and validated. */
export interface CheckedBundle {
  version: number;
  createdAt: string;
  policies: Array<PolicySource & { json: PolicyJson }>;
}

/**
 * Policies that passed validation, by id and source, with their JSON form. Validating a
 * thousand policies takes seconds on a busy machine, and successive bundles differ by a
 * policy or two, so each is validated once per process. Strict validation is per policy,
 * so checking only the new ones is the same as checking the set.
 */
const validated = new Map<string, PolicyJson>();
const validatedMax = 4096;

function validatedPolicies(policies: readonly PolicySource[]): { errors: string[]; json: PolicyJson[] } {
  const keyOf = (p: PolicySource) => JSON.stringify([p.id, p.source]);
  const misses: Record<string, string> = {};
  let missing = 0;
  for (const p of policies) {
    if (validated.has(keyOf(p))) continue;
    Object.defineProperty(misses, p.id, { value: p.source, enumerable: true });
    missing += 1;
  }
  if (missing > 0) {
    const errors = cedarErrors(misses);
    if (errors.length > 0) return { errors: errors.slice(0, 50), json: [] };
  }
  const json: PolicyJson[] = [];
  for (const p of policies) {
    const key = keyOf(p);
    let form = validated.get(key);
    if (form) validated.delete(key);
    else {
      const answer = cedar.policyToJson(p.source);
      if (answer.type === 'failure') return { errors: answer.errors.map(describe), json: [] };
      form = answer.json;
    }
    validated.set(key, form);
    json.push(form);
  }
  for (const key of validated.keys()) {
    if (validated.size <= validatedMax) break;
    validated.delete(key);
  }
  return { errors: [], json };
}

const knownPermissions: ReadonlySet<string> = new Set(permissions);

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The shape of a bundle read off the wire; `roles` keys are read as own keys only. */
function shapeErrors(raw: unknown): string[] {
  if (!isPlainRecord(raw)) return ['a bundle must be an object'];
  const errors: string[] = [];
  if (!Number.isSafeInteger(raw['version']) || (raw['version'] as number) < 0) errors.push('version must be a non-negative integer');
  if (typeof raw['createdAt'] !== 'string' || Number.isNaN(Date.parse(raw['createdAt']))) errors.push('createdAt must be an ISO timestamp');
  const roles = raw['roles'];
  if (!isPlainRecord(roles)) errors.push('roles must be an object');
  else {
    const entries = Object.entries(roles);
    if (entries.length > bundleLimits.roles) errors.push(`at most ${bundleLimits.roles} roles`);
    for (const [name, granted] of entries) {
      if (name.length === 0 || name.length > bundleLimits.roleNameLength) errors.push(`role name must be 1–${bundleLimits.roleNameLength} characters`);
      if (!Array.isArray(granted) || granted.length > permissions.length * 4) errors.push(`role ${name}: permissions must be a list`);
      else for (const p of granted) if (typeof p !== 'string' || !knownPermissions.has(p)) errors.push(`role ${name}: unknown permission ${String(p)}`);
    }
  }
  const policies = raw['policies'];
  if (!Array.isArray(policies)) errors.push('policies must be a list');
  else {
    if (policies.length > bundleLimits.policies) errors.push(`at most ${bundleLimits.policies} policies`);
    const seen = new Set<string>();
    for (const policy of policies) {
      if (!isPlainRecord(policy) || typeof policy['id'] !== 'string' || typeof policy['source'] !== 'string') {
        errors.push('each policy must be {id, source}');
        continue;
      }
      const id = policy['id'];
      if (!isCustomPolicyId(id)) errors.push(`policy id ${JSON.stringify(id.slice(0, 140))} is not allowed`);
      if (seen.has(id)) errors.push(`policy id ${id} appears twice`);
      seen.add(id);
      if (policy['source'].length === 0 || policy['source'].length > bundleLimits.policySourceLength) errors.push(`policy ${id}: source must be 1–${bundleLimits.policySourceLength} characters`);
    }
  }
  return errors.slice(0, 50);
}

/**
 * Checks a bundle from anywhere (the wire included): shape, limits, then Cedar's parser and
 * validator over the generated role policies and the custom ones together.
 */
export function checkBundle(raw: unknown): CheckedBundle {
  const shape = shapeErrors(raw);
  if (shape.length > 0) throw new BundleError(shape);
  const bundle = raw as PolicyBundle;
  const policies = [...rolePolicies(bundle.roles), ...bundle.policies.map(({ id, source }) => ({ id, source }))];
  const { errors, json } = validatedPolicies(policies);
  if (errors.length > 0) throw new BundleError(errors);
  return { version: bundle.version, createdAt: bundle.createdAt, policies: policies.map((p, i) => ({ ...p, json: json[i] as PolicyJson })) };
}
