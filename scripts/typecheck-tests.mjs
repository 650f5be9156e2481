// Type-checks every package's tests and benches (tsconfig.test.json), which `tsc -b` leaves
// out because they are not part of the built output. tap runs tests without type checks.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const projects = ['packages', 'services']
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name, 'tsconfig.test.json')))
  .filter((file) => existsSync(file));
let failed = 0;
for (const project of projects) {
  try {
    execFileSync('tsc', ['-p', project], { stdio: 'inherit' });
  } catch {
    failed += 1;
  }
}
console.log(`type-checked tests of ${projects.length} packages, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
