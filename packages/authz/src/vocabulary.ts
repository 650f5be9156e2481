import { permissions, type Permission } from '@elcorp/contracts';

/** The Cedar vocabulary of API.md (Governance): namespace, entity types, actions, context. */
export const namespace = 'Elcorp';

export const resourceTypes = ['User', 'Role', 'Account', 'Transfer', 'Request', 'AuditLog', 'Incident', 'Report', 'Policy'] as const;
export type ResourceType = (typeof resourceTypes)[number];

/** Resource types that carry `owner` (a User), "where one exists". */
export const ownedResourceTypes: readonly ResourceType[] = ['Account', 'Transfer', 'Request', 'Incident', 'Report'];

/**
 * Money-moving actions always know their amount, so their context declares `amountMinor`
 * and `currency` as present: a policy may say `context.amountMinor > 50000` (the API.md
 * example) without a `has` guard. Every other action sees them as optional.
 */
export const moneyActions: readonly Permission[] = ['payment:create', 'payment:deposit', 'payment:approve'];

export interface Context {
  amountMinor?: number;
  currency?: string;
  /** 0–23, UTC. */
  hourUtc: number;
  /** 0 = Sunday … 6 = Saturday, UTC (as JavaScript's getUTCDay and cron count). */
  weekdayUtc: number;
  ip?: string;
  mfa: boolean;
}

export const entityType = (type: string) => `${namespace}::${type}`;
export const userType = entityType('User');
export const roleType = entityType('Role');
export const actionType = entityType('Action');

/** A Cedar string literal: quotes, backslashes and anything unprintable escaped. */
export function cedarString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0) || code === 0x2028 || code === 0x2029) out += `\\u{${code.toString(16)}}`;
    else out += char;
  }
  return `${out}"`;
}

export const actionRef = (permission: Permission) => `${actionType}::${cedarString(permission)}`;

function contextType(money: boolean): string {
  const amount = money ? 'amountMinor: Long, currency: String' : 'amountMinor?: Long, currency?: String';
  return `{ ${amount}, hourUtc: Long, weekdayUtc: Long, ip?: String, mfa: Bool }`;
}

/** The Cedar schema (human-readable syntax) that saved policies are validated against. */
export function cedarSchemaText(): string {
  const entities = resourceTypes
    .filter((type) => type !== 'User' && type !== 'Role')
    .map((type) => (ownedResourceTypes.includes(type) ? `  entity ${type} { owner?: User };` : `  entity ${type};`));
  const resources = resourceTypes.join(', ');
  const actions = (money: boolean) =>
    `  action ${permissions.filter((p) => moneyActions.includes(p) === money).map(cedarString).join(', ')}\n` +
    `    appliesTo { principal: [User], resource: [${resources}], context: ${money ? 'MoneyContext' : 'Context'} };`;
  return [
    `namespace ${namespace} {`,
    '  entity Role;',
    '  entity User in [Role];',
    ...entities,
    `  type Context = ${contextType(false)};`,
    `  type MoneyContext = ${contextType(true)};`,
    actions(false),
    actions(true),
    '}',
    '',
  ].join('\n');
}

export const cedarSchema = cedarSchemaText();
