import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import t from 'tap';

// The workspace's own config, read as `pnpm lint` reads it, applied to sources that exist only
// here: each case is a file placed (by name) where the rule should or should not bite.
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const eslint = new ESLint({ cwd: repoRoot });

async function importErrors(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport {};\n`, { filePath: `${repoRoot}${filePath}` });
  if (!result) throw new Error(`${filePath} was not linted`);
  return result.messages.filter((message) => message.ruleId === 'no-restricted-imports' || message.ruleId === 'elcorp/relative-import-stays-home').map((message) => message.message);
}

interface Case {
  file: string;
  source: string;
  /** A phrase of the rule's message, or undefined where the import is allowed. */
  reports: string | undefined;
}

const cases: Case[] = [
  // domain: pure
  { file: 'services/x/src/domain/rule.ts', source: "import { f } from '../application/use-case.js'; f;", reports: 'domain imports nothing from outer layers' },
  { file: 'services/x/src/domain/rule.ts', source: "import type { Kysely } from 'kysely'; type _K = Kysely<object>;", reports: 'domain imports no infrastructure library' },
  { file: 'services/x/src/domain/rule.ts', source: "import { z } from 'zod'; z;", reports: undefined },
  { file: 'services/x/src/domain/rule.ts', source: "import { f } from '@elcorp/identity/service'; f;", reports: 'a service imports no other service' },

  // application: no http layer, no web framework, no other service
  { file: 'services/x/src/application/use-case.ts', source: "import { f } from '../http/routes.js'; f;", reports: 'application imports nothing from the http layer' },
  { file: 'services/x/src/application/nested/use-case.ts', source: "import { f } from '../../http/schemas.js'; f;", reports: 'application imports nothing from the http layer' },
  { file: 'services/x/src/application/use-case.ts', source: "import type { FastifyRequest } from 'fastify'; type _R = FastifyRequest;", reports: 'application imports no web framework' },
  { file: 'services/x/src/application/use-case.ts', source: "import cors from '@fastify/cors'; cors;", reports: 'application imports no web framework' },
  { file: 'services/x/src/application/use-case.ts', source: "import { f } from '@elcorp/payments'; f;", reports: 'a service imports no other service' },
  { file: 'services/x/src/application/use-case.ts', source: "import { f } from '../../../payments/src/application/pay.js'; f;", reports: 'a service imports no other service' },
  { file: 'services/x/src/application/use-case.ts', source: "import { f } from '../domain/rule.js'; import { g } from '@elcorp/contracts'; f; g;", reports: undefined },

  // infrastructure: no http layer, no other service
  { file: 'services/x/src/infrastructure/store.ts', source: "import { f } from '../http/principal.js'; f;", reports: 'infrastructure imports nothing from the http layer' },
  { file: 'services/x/src/infrastructure/db/schema.ts', source: "import { f } from '../../http/schemas.js'; f;", reports: 'infrastructure imports nothing from the http layer' },
  { file: 'services/x/src/infrastructure/store.ts', source: "import { f } from '@elcorp/governance/service'; f;", reports: 'a service imports no other service' },
  { file: 'services/x/src/infrastructure/store.ts', source: "import { f } from '../application/ports.js'; f;", reports: undefined },

  // http and the composition root: only the cross-service rule
  { file: 'services/x/src/http/routes.ts', source: "import { f } from '@elcorp/compliance'; f;", reports: 'a service imports no other service' },
  { file: 'services/x/src/http/routes.ts', source: "import { f } from '../application/use-case.js'; import { g } from 'fastify'; f; g;", reports: undefined },
  { file: 'services/x/src/app.ts', source: "import { f } from '../../identity/src/app.js'; f;", reports: 'a service imports no other service' },
  { file: 'services/x/test/app.test.ts', source: "import { f } from '@elcorp/gateway/service'; f;", reports: 'a service imports no other service' },

  // packages, their tests and benches: no service at all
  { file: 'packages/y/src/index.ts', source: "import { f } from '@elcorp/identity/service'; f;", reports: 'a package imports no service' },
  { file: 'packages/y/test/helpers.ts', source: "import { f } from '@elcorp/identity'; f;", reports: 'a package imports no service' },
  { file: 'packages/y/bench/run.ts', source: "import { f } from '../../../services/identity/src/app.js'; f;", reports: 'a package imports no service' },
  { file: 'packages/y/src/index.ts', source: "import { f } from '@elcorp/contracts'; f;", reports: undefined },
];

for (const { file, source, reports } of cases) {
  t.test(`${file}: ${source.slice(0, source.indexOf(';') + 1)}`, async (t) => {
    const errors = await importErrors(file, source);
    if (reports === undefined) t.same(errors, [], 'allowed');
    else t.ok(errors.some((message) => message.includes(reports)), `reports "${reports}"`, { errors });
  });
}
