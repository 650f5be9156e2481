import { permissions, type Permission } from '@elcorp/contracts';
import { checkBundle, systemBundle, type PolicyBundle } from './bundle.js';
import { cedar, type CedarValueJson, type EntityJson, type PolicyJson } from './cedar.js';
import { ConditionError, Defer, Entity, compileConditions, recordOf, type ConditionEnv, type StoredEntity } from './conditions.js';
import { actionsOf, principalKeyOf, scopeMatches, type ScopeRequest } from './scope.js';
import { entityType, resourceTypes, roleType, userType, type Context, type ResourceType } from './vocabulary.js';

export type AttributeValue = string | number | boolean;

export interface AuthzResource {
  type: ResourceType;
  id: string;
  /** `owner` is a user id; other attributes are strings, booleans or integers. */
  attributes?: { owner?: string; [name: string]: AttributeValue | undefined };
}

export interface AuthzRequest {
  principal: { userId: string; roles: readonly string[] };
  action: Permission;
  resource: AuthzResource;
  context?: Partial<Context>;
}

export interface AuthzDecision {
  decision: 'allow' | 'deny';
  /** The deciding policies: the satisfied forbids of a denial, the satisfied permits of an allow; none for the default deny. */
  policies: string[];
}

export interface AuthorizerOptions {
  bundle?: PolicyBundle;
  now?: () => Date;
  /** Distinct condition sets kept parsed inside Cedar; the oldest is replaced beyond it. */
  parsedSetsMax?: number;
  /** Evaluate the common subset of conditions in JS (default); false sends every condition to Cedar. */
  conditionsInJs?: boolean;
}

interface CompiledPolicy {
  id: string;
  forbid: boolean;
  source: string;
  scope: Pick<PolicyJson, 'principal' | 'action' | 'resource'>;
  conditional: boolean;
  /** The conditions compiled to JS, when they are within the evaluator's subset. */
  condition: ((env: ConditionEnv) => boolean) | undefined;
}

interface ActionIndex {
  any: CompiledPolicy[];
  byUser: Map<string, CompiledPolicy[]>;
  byRole: Map<string, CompiledPolicy[]>;
}

interface Loaded {
  version: number;
  createdAt: string;
  index: Map<string, ActionIndex>;
  policyIds: string[];
}

let instances = 0;
const knownTypes: ReadonlySet<string> = new Set(resourceTypes);

function push<K>(map: Map<K, CompiledPolicy[]>, key: K, policy: CompiledPolicy): void {
  const list = map.get(key);
  if (list) list.push(policy);
  else map.set(key, [policy]);
}

function compile(bundle: unknown, conditionsInJs: boolean): Loaded {
  const checked = checkBundle(bundle);
  const index = new Map<string, ActionIndex>(permissions.map((p) => [p, { any: [], byUser: new Map(), byRole: new Map() }]));
  for (const { id, source, json } of checked.policies) {
    const conditional = json.conditions.length > 0;
    const condition = conditional && conditionsInJs ? compileConditions(json.conditions) : undefined;
    const policy: CompiledPolicy = { id, forbid: json.effect === 'forbid', source, scope: json, conditional, condition };
    const key = principalKeyOf(json.principal);
    for (const action of actionsOf(json.action) ?? permissions) {
      const slot = index.get(action);
      if (!slot) continue;
      if (key.kind === 'user') push(slot.byUser, key.id, policy);
      else if (key.kind === 'role') push(slot.byRole, key.id, policy);
      else slot.any.push(policy);
    }
  }
  return { version: checked.version, createdAt: checked.createdAt, index, policyIds: checked.policies.map((p) => p.id) };
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Cedar decisions over the current bundle. Policies are parsed once per bundle and indexed
 * by action and principal; policies without conditions are decided by their scope, and only
 * the conditional ones that match are evaluated by Cedar, from a policy set parsed once per
 * distinct combination and kept inside the wasm module. Forbid wins; default deny.
 */
export class Authorizer {
  private loaded: Loaded;
  private readonly now: () => Date;
  private readonly slotPrefix = `elcorp-authz-${++instances}-`;
  private readonly parsedSetsMax: number;
  private readonly conditionsInJs: boolean;
  /** Condition-set key → slot id (insertion order is recency); slots are reused, never leaked. */
  private readonly parsedSets = new Map<string, string>();
  private slotsUsed = 0;
  /** Decisions made, and how many of them needed Cedar (a matching conditional policy). */
  readonly stats = { decisions: 0, cedarEvaluations: 0 };

  constructor(options: AuthorizerOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.parsedSetsMax = options.parsedSetsMax ?? 512;
    this.conditionsInJs = options.conditionsInJs ?? true;
    this.loaded = compile(options.bundle ?? systemBundle, this.conditionsInJs);
  }

  get version(): number {
    return this.loaded.version;
  }

  get createdAt(): string {
    return this.loaded.createdAt;
  }

  /** Ids of every policy in force (generated role policies first). */
  get policyIds(): readonly string[] {
    return this.loaded.policyIds;
  }

  /** Replaces the bundle, or throws BundleError and keeps the current one. */
  load(bundle: unknown): void {
    const next = compile(bundle, this.conditionsInJs);
    this.loaded = next;
    this.parsedSets.clear();
  }

  decide(request: AuthzRequest): AuthzDecision {
    const { principal, action, resource } = request;
    if (!knownTypes.has(resource.type)) throw new TypeError(`unknown resource type ${String(resource.type)}`);
    const slot = this.loaded.index.get(action);
    if (!slot) return { decision: 'deny', policies: [] };
    const roles = new Set(principal.roles);
    const principalUid = { type: userType, id: principal.userId };
    const resourceUid = { type: entityType(resource.type), id: resource.id };
    const resourceIsPrincipal = resource.type === 'User' && resource.id === principal.userId;
    const scope: ScopeRequest = { principal: principalUid, roles, action, resource: resourceUid, resourceRoles: resourceIsPrincipal ? roles : new Set() };

    const permits: string[] = [];
    const forbids: string[] = [];
    const conditional: CompiledPolicy[] = [];
    const consider = (list: readonly CompiledPolicy[] | undefined) => {
      if (!list) return;
      for (const policy of list) {
        if (!scopeMatches(policy.scope, scope)) continue;
        if (policy.conditional) conditional.push(policy);
        else (policy.forbid ? forbids : permits).push(policy.id);
      }
    };
    consider(slot.any);
    consider(slot.byUser.get(principal.userId));
    for (const role of roles) consider(slot.byRole.get(role));

    this.stats.decisions += 1;
    const forCedar = conditional.length > 0 ? this.evaluateInJs(conditional, request, resourceIsPrincipal, permits, forbids) : conditional;
    if (forCedar.length > 0) this.evaluate(forCedar, request, resourceIsPrincipal, permits, forbids);
    if (forbids.length > 0) return { decision: 'deny', policies: forbids.sort(byId) };
    if (permits.length > 0) return { decision: 'allow', policies: permits.sort(byId) };
    return { decision: 'deny', policies: [] };
  }

  /** Evaluates the conditions JS can; returns the policies left for Cedar. */
  private evaluateInJs(policies: CompiledPolicy[], request: AuthzRequest, resourceIsPrincipal: boolean, permits: string[], forbids: string[]): CompiledPolicy[] {
    const rest: CompiledPolicy[] = [];
    let env: ConditionEnv | undefined;
    for (const policy of policies) {
      if (!policy.condition) {
        rest.push(policy);
        continue;
      }
      env ??= this.envOf(request, resourceIsPrincipal);
      try {
        if (policy.condition(env)) (policy.forbid ? forbids : permits).push(policy.id);
      } catch (error) {
        if (error instanceof Defer) rest.push(policy);
        // As with Cedar below: an erroring forbid still forbids, an erroring permit grants nothing.
        else if (error instanceof ConditionError) {
          if (policy.forbid) forbids.push(policy.id);
        } else throw error;
      }
    }
    return rest;
  }

  private envOf(request: AuthzRequest, resourceIsPrincipal: boolean): ConditionEnv {
    const principal = new Entity(userType, request.principal.userId);
    const resource = new Entity(entityType(request.resource.type), request.resource.id);
    const ancestors = new Set([...new Set(request.principal.roles)].map((id) => new Entity(roleType, id).key));
    const resourceAttrs = new Map<string, string | number | boolean | Entity>();
    for (const [name, value] of Object.entries(request.resource.attributes ?? {})) {
      if (value === undefined) continue;
      if (name === 'owner' && typeof value !== 'string') throw new TypeError('resource.attributes.owner must be a user id');
      if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new TypeError(`resource.attributes.${name} must be an integer`);
      resourceAttrs.set(name, name === 'owner' ? new Entity(userType, String(value)) : value);
    }
    const entities = new Map<string, StoredEntity>();
    if (resourceIsPrincipal) entities.set(principal.key, { attrs: resourceAttrs, ancestors });
    else {
      entities.set(principal.key, { attrs: new Map(), ancestors });
      entities.set(resource.key, { attrs: resourceAttrs, ancestors: new Set() });
    }
    const context = this.contextOf(request.context) as Record<string, string | number | boolean>;
    return { principal, action: new Entity(entityType('Action'), request.action), resource, context: recordOf(context), entities };
  }

  /** Runs Cedar on the matching conditional policies and adds the satisfied ones. */
  private evaluate(policies: CompiledPolicy[], request: AuthzRequest, resourceIsPrincipal: boolean, permits: string[], forbids: string[]): void {
    this.stats.cedarEvaluations += 1;
    const answer = cedar.statefulIsAuthorized({
      principal: { type: userType, id: request.principal.userId },
      action: { type: `${entityType('Action')}`, id: request.action },
      resource: { type: entityType(request.resource.type), id: request.resource.id },
      context: this.contextOf(request.context),
      entities: entitiesOf(request, resourceIsPrincipal),
      preparsedPolicySetId: this.parsedSetFor(policies),
    });
    if (answer.type === 'failure') throw new Error(`Cedar refused the request: ${answer.errors.map((e) => e.message).join('; ')}`);
    const { decision, diagnostics } = answer.response;
    // Reasons are the satisfied forbids of a denial, or the satisfied permits of an allow.
    for (const id of diagnostics.reason) (decision === 'deny' ? forbids : permits).push(id);
    // Cedar skips a policy whose condition errors; a forbid that cannot be evaluated is
    // treated as satisfied, so missing data never lifts a prohibition.
    const forbidIds = new Set(policies.filter((p) => p.forbid).map((p) => p.id));
    for (const { policyId } of diagnostics.errors) if (forbidIds.has(policyId) && !forbids.includes(policyId)) forbids.push(policyId);
  }

  private parsedSetFor(policies: CompiledPolicy[]): string {
    const ids = policies.map((p) => p.id).sort(byId);
    const key = ids.join('\n');
    const cached = this.parsedSets.get(key);
    if (cached !== undefined) {
      this.parsedSets.delete(key);
      this.parsedSets.set(key, cached);
      return cached;
    }
    let slotId: string;
    if (this.parsedSets.size >= this.parsedSetsMax) {
      const [oldestKey, oldestSlot] = this.parsedSets.entries().next().value as [string, string];
      this.parsedSets.delete(oldestKey);
      slotId = oldestSlot;
    } else {
      slotId = `${this.slotPrefix}${this.slotsUsed++}`;
    }
    const set: Record<string, string> = {};
    for (const p of policies) Object.defineProperty(set, p.id, { value: p.source, enumerable: true });
    const parsed = cedar.preparsePolicySet(slotId, { staticPolicies: set });
    if (parsed.type === 'failure') throw new Error(`Cedar could not parse validated policies: ${parsed.errors.map((e) => e.message).join('; ')}`);
    this.parsedSets.set(key, slotId);
    return slotId;
  }

  private contextOf(partial: Partial<Context> = {}): Record<string, CedarValueJson> {
    const at = this.now();
    const out: Record<string, CedarValueJson> = {
      hourUtc: partial.hourUtc ?? at.getUTCHours(),
      weekdayUtc: partial.weekdayUtc ?? at.getUTCDay(),
      mfa: partial.mfa ?? false,
    };
    if (partial.amountMinor !== undefined) {
      if (!Number.isSafeInteger(partial.amountMinor)) throw new TypeError('context.amountMinor must be an integer (minor units)');
      out['amountMinor'] = partial.amountMinor;
    }
    if (partial.currency !== undefined) out['currency'] = partial.currency;
    if (partial.ip !== undefined) out['ip'] = partial.ip;
    return out;
  }
}

function attributesOf(attributes: AuthzResource['attributes'] = {}): Record<string, CedarValueJson> {
  const out: Record<string, CedarValueJson> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    if (name === 'owner') {
      if (typeof value !== 'string') throw new TypeError('resource.attributes.owner must be a user id');
      out[name] = { __entity: { type: userType, id: value } };
    } else if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new TypeError(`resource.attributes.${name} must be an integer`);
    } else {
      Object.defineProperty(out, name, { value, enumerable: true });
    }
  }
  return out;
}

function entitiesOf(request: AuthzRequest, resourceIsPrincipal: boolean): EntityJson[] {
  const parents = [...new Set(request.principal.roles)].map((id) => ({ type: roleType, id }));
  const principal: EntityJson = { uid: { type: userType, id: request.principal.userId }, attrs: {}, parents };
  if (resourceIsPrincipal) {
    principal.attrs = attributesOf(request.resource.attributes);
    return [principal];
  }
  const resource: EntityJson = { uid: { type: entityType(request.resource.type), id: request.resource.id }, attrs: attributesOf(request.resource.attributes), parents: [] };
  return [principal, resource];
}
