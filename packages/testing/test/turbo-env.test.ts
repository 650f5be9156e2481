// turbo 2 runs tasks in strict env mode: a variable turbo.json does not declare never reaches
// a test, bench or service started by one, which then silently talks to its default (a test
// run with TEST_DATABASE_URL pointing elsewhere still tested 127.0.0.1). This suite finds
// every variable the code reads and proves, through a real turbo run, that each reaches a task.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { root, variablesRead as scan } from './support/variables-read.js';

const run = promisify(execFile);

/** Every variable name read anywhere, tests included: a test's variable must reach it too. */
const variablesRead = () => scan({ includeTests: true });

async function declaredPatterns(): Promise<string[]> {
  const turbo = JSON.parse(await readFile(join(root, 'turbo.json'), 'utf8')) as { globalPassThroughEnv?: string[] };
  return turbo.globalPassThroughEnv ?? [];
}

const matches = (pattern: string, name: string) =>
  pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;

t.test('every variable the code reads is declared to turbo', async (t) => {
  const patterns = await declaredPatterns();
  const read = await variablesRead();
  t.ok(read.size > 30, `found the variables the code reads (${read.size})`);
  for (const [name, file] of read) {
    t.ok(patterns.some((p) => matches(p, name)), `${name} (read in ${file}) is declared in turbo.json`);
  }
});

t.test('a variable set outside turbo reaches a task, and an undeclared one does not', async (t) => {
  const patterns = await declaredPatterns();
  const read = await variablesRead();
  const canary = `canary-${process.pid}-${Date.now()}-`;
  // Every variable the code reads, plus one sample name under each wildcard.
  const names = new Set([...read.keys(), ...patterns.map((p) => (p.endsWith('*') ? `${p.slice(0, -1)}PROBE` : p))]);
  const env: Record<string, string> = { ...process.env } as Record<string, string>;
  for (const name of names) env[name] = `${canary}${name}`;
  env.UNDECLARED_TO_TURBO = `${canary}UNDECLARED_TO_TURBO`;
  // HOME, TERM etc. keep their real values where turbo itself needs them.
  for (const keep of ['HOME', 'PATH', 'TERM', 'CI', 'NODE_ENV', 'TZ']) if (process.env[keep] !== undefined) env[keep] = process.env[keep]!;
  const { stdout } = await run('pnpm', ['exec', 'turbo', 'run', 'env-probe', '--filter=@elcorp/testing', '--output-logs=full', '--', canary], {
    cwd: root,
    env,
    maxBuffer: 4 * 1024 * 1024,
    timeout: 60_000,
  });
  const line = stdout.split('\n').find((l) => l.includes('env-probe {'));
  t.ok(line, 'the probe task ran');
  const seen = JSON.parse(line!.slice(line!.indexOf('{'))) as Record<string, string>;
  for (const name of names) {
    if (['HOME', 'PATH', 'TERM', 'CI', 'NODE_ENV', 'TZ'].includes(name)) continue;
    t.equal(seen[name], `${canary}${name}`, `${name} reaches the task`);
  }
  t.notOk('UNDECLARED_TO_TURBO' in seen, 'turbo runs in strict mode: an undeclared variable is held back');
});
