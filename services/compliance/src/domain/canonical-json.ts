/**
 * RFC 8785 (JSON Canonicalization Scheme). ECMAScript's JSON.stringify already serialises
 * numbers and strings the way RFC 8785 prescribes (it is defined in those terms); what it
 * leaves open is member order, which RFC 8785 fixes as the UTF-16 code-unit order of the
 * names, the order JavaScript's default string comparison gives.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('RFC 8785 has no representation for NaN or Infinity');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (typeof value === 'object') {
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${members.map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`).join(',')}}`;
  }
  throw new TypeError(`RFC 8785 cannot represent a ${typeof value}`);
}
