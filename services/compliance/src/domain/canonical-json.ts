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
    const record = value as Record<string, unknown>;
    // Default sort: UTF-16 code-unit order. Undefined members are absent, as in JSON.stringify.
    const names = Object.keys(record).sort();
    let out = '{';
    for (const name of names) {
      const member = record[name];
      if (member === undefined) continue;
      out += `${out.length > 1 ? ',' : ''}${JSON.stringify(name)}:${canonicalJson(member)}`;
    }
    return `${out}}`;
  }
  throw new TypeError(`RFC 8785 cannot represent a ${typeof value}`);
}
