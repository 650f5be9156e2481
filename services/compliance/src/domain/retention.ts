/**
 * How long each event type stays in the live audit log before its data moves to the
 * archive. A rule names one type (`identity.user.login_failed`) or a family (`payments.*`);
 * the exact type wins over a family, a longer family over a shorter one, and the default
 * covers the rest. Archiving keeps every entry and every proof: retention decides where the
 * data lives, not whether it exists.
 */
export interface RetentionRule {
  /** An event type, or a type prefix ending in `.*`. */
  pattern: string;
  days: number;
}

export interface RetentionPolicy {
  defaultDays: number;
  rules: readonly RetentionRule[];
}

export const retentionDaysMin = 1;
/** A century: far beyond any record-keeping duty, small enough for date arithmetic. */
export const retentionDaysMax = 36_500;
export const retentionRulesMax = 100;

const patternShape = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$/;

export type ParsedRules = { ok: true; rules: RetentionRule[] } | { ok: false; errors: string[] };

/** Parses `type=days,family.*=days`; every bad entry is named in the errors. */
export function parseRetentionRules(text: string): ParsedRules {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const errors: string[] = [];
  const rules: RetentionRule[] = [];
  if (entries.length > retentionRulesMax) return { ok: false, errors: [`at most ${retentionRulesMax} rules`] };
  for (const entry of entries) {
    const match = /^([^=\s]+)\s*=\s*(\d{1,6})$/.exec(entry);
    if (!match) {
      errors.push(`"${entry}" is not <type or family.*>=<days>`);
      continue;
    }
    const [, pattern, digits] = match as unknown as [string, string, string];
    const days = Number(digits);
    if (!patternShape.test(pattern)) errors.push(`"${entry}": "${pattern}" is not an event type or a family such as payments.*`);
    else if (days < retentionDaysMin || days > retentionDaysMax) errors.push(`"${entry}": days must be between ${retentionDaysMin} and ${retentionDaysMax}`);
    else if (rules.some((r) => r.pattern === pattern)) errors.push(`"${entry}": ${pattern} is given twice`);
    else rules.push({ pattern, days });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rules };
}

const familyOf = (pattern: string) => (pattern.endsWith('.*') ? pattern.slice(0, -1) : null);

/** The rules in the order they decide: exact types, then families, longest first. */
export function rulesByPrecedence(rules: readonly RetentionRule[]): RetentionRule[] {
  const rank = (r: RetentionRule) => (familyOf(r.pattern) === null ? 0 : 1);
  return [...rules].sort((a, b) => rank(a) - rank(b) || b.pattern.length - a.pattern.length);
}

/** The retention of one event type, in days. */
export function retentionDaysOf(policy: RetentionPolicy, type: string): number {
  for (const rule of rulesByPrecedence(policy.rules)) {
    const family = familyOf(rule.pattern);
    if (family === null ? rule.pattern === type : type.startsWith(family)) return rule.days;
  }
  return policy.defaultDays;
}

const dayMs = 86_400_000;

/** Entries that occurred before this instant are past a retention of `days`. */
export const retentionCutoff = (now: Date, days: number) => new Date(now.getTime() - days * dayMs);
