/** Dates become ISO 8601 strings, as API.md's responses carry them. */
export function dto<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value));
}
