// One lint config for the whole workspace. Layer rules live here so a violation fails `pnpm lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { dirname, relative, resolve, sep } from 'node:path';

const serviceNames = ['gateway', 'identity', 'payments', 'governance', 'compliance'];

// A service's package (any subpath) or a relative path into services/.
const noOtherService = {
  group: [...serviceNames.flatMap((name) => [`@elcorp/${name}`, `@elcorp/${name}/*`]), '**/services/**'],
  message: 'a service imports no other service; they share through packages/ and events',
};

/** packages/<name> or services/<name> of a file, relative to the workspace root. */
function workspacePackageOf(file, root) {
  const [group, name] = relative(root, file).split(sep);
  return group === 'packages' || group === 'services' ? `${group}/${name}` : undefined;
}

// Patterns cannot tell where `../../../payments/src/x.js` lands, so relative imports are
// resolved: one that leaves its own workspace package is reported (packages import each
// other by name, and services and packages import no service at all).
const boundaries = {
  rules: {
    'relative-import-stays-home': {
      meta: { type: 'problem', schema: [], messages: { escapes: '{{target}} is outside {{home}}: a service imports no other service, a package imports no service, and packages import each other by name' } },
      create(context) {
        const file = context.filename;
        const home = workspacePackageOf(file, context.cwd);
        function check(node) {
          const spec = node.source?.value;
          if (!home || typeof spec !== 'string' || !spec.startsWith('.')) return;
          const target = relative(context.cwd, resolve(dirname(file), spec));
          if (target !== home && !target.startsWith(home + sep)) context.report({ node: node.source, messageId: 'escapes', data: { target, home } });
        }
        return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
      },
    },
  },
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/dist-bench/**', '**/node_modules/**', '**/.tap/**', '**/coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['packages/**/*.ts', 'services/**/*.ts'],
    plugins: { elcorp: boundaries },
    rules: { 'elcorp/relative-import-stays-home': 'error' },
  },
  // Layer rules. A later block replaces an earlier block's no-restricted-imports for the files
  // both match (flat config does not merge a rule's options), so each layer's block lists the
  // cross-service patterns again.
  {
    files: ['services/*/src/**/*.ts', 'services/*/test/**/*.ts', 'services/*/bench/**/*.ts'],
    // The one exception: the edge's integration tests and proxy bench boot the real upstream
    // services in-process, because proxying to them is what they measure.
    ignores: ['services/gateway/test/**', 'services/gateway/bench/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noOtherService] }] },
  },
  {
    // The domain layer is pure: it may import the kernel and its own files, nothing outward.
    files: ['services/*/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/application/**', '**/infrastructure/**', '**/http/**', '../config.js', '../main.js', '../app.js'], message: 'domain imports nothing from outer layers' },
          { group: ['fastify', 'kysely', 'pg', 'ioredis', '@nats-io/*', 'pino', '@elcorp/kit', '@elcorp/db'], message: 'domain imports no infrastructure library' },
          noOtherService,
        ],
      }],
    },
  },
  {
    // Use cases know nothing of HTTP: the http layer calls them, never the other way round.
    files: ['services/*/src/application/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/http/**', '../app.js', '../main.js'], message: 'application imports nothing from the http layer' },
          { group: ['fastify', 'fastify/*', '@fastify/*', 'fastify-*'], message: 'application imports no web framework' },
          noOtherService,
        ],
      }],
    },
  },
  {
    // Adapters implement the application's ports; the http layer sits beside them, not below.
    files: ['services/*/src/infrastructure/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/http/**', '../app.js', '../main.js', '../../app.js', '../../main.js'], message: 'infrastructure imports nothing from the http layer' },
          noOtherService,
        ],
      }],
    },
  },
  {
    // Shared packages are built before any service and used by all of them: a package that
    // imported a service would make that service everyone's dependency. Tests included.
    files: ['packages/*/src/**/*.ts', 'packages/*/test/**/*.ts', 'packages/*/bench/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ ...noOtherService, message: 'a package imports no service' }],
      }],
    },
  },
  {
    // Only config modules read the environment.
    files: ['services/*/src/**/*.ts', 'packages/*/src/**/*.ts'],
    ignores: ['**/config.ts', '**/config/**'],
    rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration through config.ts' }] },
  },
  {
    files: ['scripts/**/*.mjs', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/test/**/*.ts', 'scripts/**', '**/bench/**'],
    rules: { 'no-console': 'off' },
  },
);
