import type { CedarValueJson, PolicyJson } from './cedar.js';

/**
 * A JavaScript evaluator for the common subset of Cedar conditions (comparisons on context
 * and attributes, `has`, `in`, `is`, `like`, boolean logic, Long arithmetic), so a decision
 * does not pay a crossing into wasm for them. Anything outside the subset is left to Cedar:
 * at compile time (the policy is never evaluated here) or at run time (`Defer`, where the
 * values met are not ones this evaluator models). A condition that errors in Cedar errors
 * here (`ConditionError`), with the same consequence: the policy is not satisfied.
 * tests/conditions.test.ts checks this against Cedar on generated conditions.
 */
type Expr = PolicyJson['conditions'][number]['body'];

export class Entity {
  constructor(
    readonly type: string,
    readonly id: string,
  ) {}
  get key(): string {
    return `${this.type}\u0000${this.id}`;
  }
}

type Value = boolean | number | string | Entity | Value[] | ContextRecord;
export type ContextRecord = { readonly kind: 'record'; readonly attrs: ReadonlyMap<string, Value> };

export interface StoredEntity {
  attrs: ReadonlyMap<string, Value>;
  /** Keys of every ancestor (a user's roles). */
  ancestors: ReadonlySet<string>;
}

export interface ConditionEnv {
  principal: Entity;
  action: Entity;
  resource: Entity;
  context: ContextRecord;
  entities: ReadonlyMap<string, StoredEntity>;
}

/** Cedar would report an evaluation error: the policy does not apply. */
export class ConditionError extends Error {}
/** Outside what this evaluator models: ask Cedar. */
export class Defer extends Error {}

type Compiled = (env: ConditionEnv) => Value;

const isRecord = (v: Value): v is ContextRecord => typeof v === 'object' && !Array.isArray(v) && !(v instanceof Entity);

export function recordOf(values: Record<string, Value>): ContextRecord {
  return { kind: 'record', attrs: new Map(Object.entries(values)) };
}

function literal(value: CedarValueJson): Value | undefined {
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (value && typeof value === 'object' && '__entity' in value && typeof value.__entity === 'object') {
    const { type, id } = value.__entity as { type: unknown; id: unknown };
    if (typeof type === 'string' && typeof id === 'string') return new Entity(type, id);
  }
  return undefined;
}

function bool(v: Value): boolean {
  if (typeof v !== 'boolean') throw new Defer('non-boolean operand');
  return v;
}

function long(v: Value): number {
  if (typeof v !== 'number') throw new Defer('non-Long operand');
  return v;
}

function checked(n: number): number {
  // Cedar's Long is i64; beyond the exact range of a double, leave the verdict to Cedar.
  if (!Number.isSafeInteger(n)) throw new Defer('Long out of the exactly representable range');
  return n;
}

function equal(a: Value, b: Value): boolean {
  if (a instanceof Entity || b instanceof Entity) return a instanceof Entity && b instanceof Entity && a.type === b.type && a.id === b.id;
  if (typeof a === 'object' || typeof b === 'object') throw new Defer('set or record equality');
  return a === b;
}

function attrsOf(target: Value, env: ConditionEnv): ReadonlyMap<string, Value> | undefined {
  if (target instanceof Entity) return env.entities.get(target.key)?.attrs;
  if (isRecord(target)) return target.attrs;
  throw new Defer('attribute of a non-entity, non-record');
}

function entityIn(entity: Value, target: Value, env: ConditionEnv): boolean {
  if (!(entity instanceof Entity)) throw new Defer('`in` on a non-entity');
  const targets = Array.isArray(target) ? target : [target];
  const ancestors = env.entities.get(entity.key)?.ancestors;
  return targets.some((t) => {
    if (!(t instanceof Entity)) throw new Defer('`in` a non-entity');
    return (t.type === entity.type && t.id === entity.id) || (ancestors?.has(t.key) ?? false);
  });
}

function like(text: string, pattern: ReadonlyArray<'Wildcard' | { Literal: string }>): boolean {
  // Classic glob matching with backtracking to the last wildcard; linear in practice.
  const chars = [...text];
  let i = 0;
  let p = 0;
  let starP = -1;
  let starI = 0;
  const flat: Array<string | null> = [];
  for (const elem of pattern) {
    if (elem === 'Wildcard') flat.push(null);
    else for (const c of elem.Literal) flat.push(c);
  }
  while (i < chars.length) {
    if (p < flat.length && flat[p] !== null && flat[p] === chars[i]) {
      i++;
      p++;
    } else if (p < flat.length && flat[p] === null) {
      starP = p++;
      starI = i;
    } else if (starP >= 0) {
      p = starP + 1;
      i = ++starI;
    } else return false;
  }
  while (p < flat.length && flat[p] === null) p++;
  return p === flat.length;
}

/** Compiles one expression; undefined when it uses anything outside the subset. */
export function compileExpr(expr: Expr): Compiled | undefined {
  const e = expr as Record<string, unknown>;
  const keys = Object.keys(e);
  if (keys.length !== 1) return undefined;
  const op = keys[0] as string;
  const arg = e[op] as Record<string, unknown>;
  const binary = (fn: (l: Value, r: Value, env: ConditionEnv) => Value): Compiled | undefined => {
    const l = compileExpr(arg['left'] as Expr);
    const r = compileExpr(arg['right'] as Expr);
    return l && r ? (env) => fn(l(env), r(env), env) : undefined;
  };
  switch (op) {
    case 'Value': {
      const v = literal(e[op] as CedarValueJson);
      return v === undefined ? undefined : () => v;
    }
    case 'Var': {
      const name = e[op];
      if (name === 'principal') return (env) => env.principal;
      if (name === 'action') return (env) => env.action;
      if (name === 'resource') return (env) => env.resource;
      if (name === 'context') return (env) => env.context;
      return undefined;
    }
    case '!': {
      const a = compileExpr(arg['arg'] as Expr);
      return a && ((env) => !bool(a(env)));
    }
    case 'neg': {
      const a = compileExpr(arg['arg'] as Expr);
      return a && ((env) => checked(-long(a(env))));
    }
    case '&&':
    case '||': {
      const l = compileExpr(arg['left'] as Expr);
      const r = compileExpr(arg['right'] as Expr);
      if (!l || !r) return undefined;
      return op === '&&' ? (env) => bool(l(env)) && bool(r(env)) : (env) => bool(l(env)) || bool(r(env));
    }
    case '==':
      return binary((l, r) => equal(l, r));
    case '!=':
      return binary((l, r) => !equal(l, r));
    case '<':
      return binary((l, r) => long(l) < long(r));
    case '<=':
      return binary((l, r) => long(l) <= long(r));
    case '>':
      return binary((l, r) => long(l) > long(r));
    case '>=':
      return binary((l, r) => long(l) >= long(r));
    case '+':
      return binary((l, r) => checked(long(l) + long(r)));
    case '-':
      return binary((l, r) => checked(long(l) - long(r)));
    case '*':
      return binary((l, r) => checked(long(l) * long(r)));
    case 'in':
      return binary((l, r, env) => entityIn(l, r, env));
    case 'contains':
      return binary((l, r) => {
        if (!Array.isArray(l)) throw new Defer('contains on a non-set');
        return l.some((v) => equal(v, r));
      });
    case '.': {
      const l = compileExpr(arg['left'] as Expr);
      const attr = arg['attr'];
      if (!l || typeof attr !== 'string') return undefined;
      return (env) => {
        const attrs = attrsOf(l(env), env);
        if (!attrs) throw new Defer('attribute of an entity not in the request');
        const value = attrs.get(attr);
        if (value === undefined) throw new ConditionError(`no attribute ${attr}`);
        return value;
      };
    }
    case 'has': {
      const l = compileExpr(arg['left'] as Expr);
      const attr = arg['attr'];
      if (!l || typeof attr !== 'string') return undefined;
      return (env) => {
        const attrs = attrsOf(l(env), env);
        if (!attrs) throw new Defer('`has` on an entity not in the request');
        return attrs.has(attr);
      };
    }
    case 'is': {
      const l = compileExpr(arg['left'] as Expr);
      const type = arg['entity_type'];
      const within = arg['in'] === undefined ? undefined : compileExpr(arg['in'] as Expr);
      if (!l || typeof type !== 'string' || (arg['in'] !== undefined && !within)) return undefined;
      return (env) => {
        const v = l(env);
        if (!(v instanceof Entity)) throw new Defer('`is` on a non-entity');
        return v.type === type && (!within || entityIn(v, within(env), env));
      };
    }
    case 'like': {
      const l = compileExpr(arg['left'] as Expr);
      const pattern = arg['pattern'] as ReadonlyArray<'Wildcard' | { Literal: string }>;
      if (!l || !Array.isArray(pattern)) return undefined;
      return (env) => {
        const v = l(env);
        if (typeof v !== 'string') throw new Defer('`like` on a non-string');
        return like(v, pattern);
      };
    }
    case 'if-then-else': {
      const c = compileExpr(arg['if'] as Expr);
      const a = compileExpr(arg['then'] as Expr);
      const b = compileExpr(arg['else'] as Expr);
      return c && a && b ? (env) => (bool(c(env)) ? a(env) : b(env)) : undefined;
    }
    case 'Set': {
      const items = (e[op] as Expr[]).map(compileExpr);
      if (items.some((i) => !i)) return undefined;
      return (env) => (items as Compiled[]).map((i) => i(env));
    }
    default:
      return undefined;
  }
}

/** A policy's `when`/`unless` clauses as one predicate; undefined when Cedar must evaluate them. */
export function compileConditions(conditions: PolicyJson['conditions']): ((env: ConditionEnv) => boolean) | undefined {
  const clauses = conditions.map((c) => ({ when: c.kind === 'when', body: compileExpr(c.body) }));
  if (clauses.some((c) => !c.body)) return undefined;
  return (env) => clauses.every((c) => bool((c.body as Compiled)(env)) === c.when);
}
