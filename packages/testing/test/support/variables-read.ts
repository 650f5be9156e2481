// One scanner for the variables the code reads, shared by the suites that check where they
// must be declared (.env.example for operators, turbo.json for tasks). Two scanners drifted
// apart once: a variable one found and the other missed.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../../', import.meta.url));

const skipped = new Set(['node_modules', 'dist', 'dist-bench', '.tap', 'coverage']);

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    if (skipped.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sourceFiles(path)));
    else if (/\.(ts|mjs|js)$/.test(entry.name)) found.push(path);
  }
  return found;
}

/** Config shapes live in config files, and the auth plugin's shape beside the plugin. */
export const isConfigShape = (where: string) =>
  (/(^|\/)config(\.ts|\/)/.test(where) || where.endsWith('src/fastify/service-auth.ts')) && !where.includes('/test/');

export interface ScanOptions {
  /** Tests' own reads count too (turbo must pass them); operators never set them. */
  includeTests: boolean;
}

/**
 * Every variable name the code reads (keys of the zod config shapes, and direct process.env
 * reads), each with one file that reads it; relative to the repository root.
 */
export async function variablesRead({ includeTests }: ScanOptions): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const dirs = [join(root, 'scripts'), join(root, 'examples')];
  for (const group of ['packages', 'services']) {
    for (const entry of await readdir(join(root, group), { withFileTypes: true })) {
      if (entry.isDirectory()) dirs.push(join(root, group, entry.name));
    }
  }
  for (const dir of dirs) {
    for (const file of await sourceFiles(dir)) {
      const where = relative(root, file);
      if (!includeTests && where.includes('/test/')) continue;
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]+)|\[['"]([A-Z][A-Z0-9_]+)['"]\])/g)) names.set(match[1] ?? match[2]!, where);
      if (isConfigShape(where)) {
        for (const match of text.matchAll(/^\s+([A-Z][A-Z0-9_]{2,}):/gm)) names.set(match[1]!, where);
      }
    }
  }
  return names;
}
