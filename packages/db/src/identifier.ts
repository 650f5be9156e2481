// Schema names end up inside SQL text (search_path, CREATE/DROP SCHEMA, lock keys), where
// they cannot be bound as parameters. Accepting only plain lower-case identifiers makes
// quoting trivial and rules out injection instead of relying on escaping.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid schema name ${JSON.stringify(schema)}: expected ${SCHEMA_NAME.source}`);
  }
}

/** Double-quoted identifier; only call with a name that passed assertSchemaName. */
export function quoteIdent(name: string): string {
  return `"${name}"`;
}
