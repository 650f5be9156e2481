// .env.example is where an operator learns what can be set. This suite finds every variable
// the code reads (the keys of the zod config shapes, and direct process.env reads) and fails
// when one is missing from it, or when it lists one nothing reads any more.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { isConfigShape, root, variablesRead as scan } from './support/variables-read.js';

// Set by a test or bench for a child it starts, or by the platform: nothing an operator sets.
const notConfiguration = new Set(['TAP', 'TAP_CHILD_ID']);

/** Every variable an operator may set, with one file that reads it. */
async function variablesRead(): Promise<Map<string, string>> {
  const names = await scan({ includeTests: false });
  for (const name of notConfiguration) names.delete(name);
  return names;
}

/** Names .env.example sets (`NAME=`) or shows commented out (`# NAME=`, for per-service values). */
async function documented(): Promise<Set<string>> {
  const text = await readFile(join(root, '.env.example'), 'utf8');
  return new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
}

t.test('every variable the code reads is in .env.example', async (t) => {
  const read = await variablesRead();
  const listed = await documented();
  t.ok(read.size > 40, `found the variables the code reads (${read.size})`);
  for (const [name, file] of read) t.ok(listed.has(name), `${name} (read in ${file}) is in .env.example`);
});

t.test('.env.example lists nothing that nothing reads', async (t) => {
  const read = await variablesRead();
  // <SERVICE>__<VARIABLE> examples address one service's copy of a variable the code reads.
  for (const name of await documented()) {
    const base = name.includes('__') ? name.slice(name.indexOf('__') + 2) : name;
    t.ok(read.has(base), `${name} is read somewhere`);
  }
});

t.test('the values .env.example gives are the defaults the config shapes declare', async (t) => {
  const text = await readFile(join(root, '.env.example'), 'utf8');
  const values = new Map([...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  let compared = 0;
  for (const [name, file] of await variablesRead()) {
    if (!isConfigShape(file)) continue;
    const source = await readFile(join(root, file), 'utf8');
    // A literal default on the variable's own line: `NAME: z….default('value')` or `.default(123)`.
    const literal = new RegExp(`^\\s+${name}:.*\\.default\\((?:'([^']*)'|([0-9_]+))\\),?$`, 'm').exec(source);
    if (!literal || !values.has(name)) continue;
    compared += 1;
    t.equal(values.get(name), literal[1] ?? literal[2]!.replace(/_/g, ''), `${name}'s default`);
  }
  t.ok(compared >= 15, `compared the literal defaults (${compared})`);
});
