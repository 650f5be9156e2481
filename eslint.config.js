// One lint config for the whole workspace. Layer rules live here so a violation fails `pnpm lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

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
    // Services never import each other; they share through packages/ and events.
    files: ['services/*/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@elcorp/gateway', '@elcorp/identity', '@elcorp/payments', '@elcorp/governance', '@elcorp/compliance', '**/services/**'], message: 'a service imports no other service' }],
      }],
    },
  },
  {
    // The domain layer is pure: it may import the kernel and its own files, nothing outward.
    files: ['services/*/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/application/**', '**/infrastructure/**', '**/http/**', '../config.js', '../main.js', '../app.js'], message: 'domain imports nothing from outer layers' },
          { group: ['fastify', 'kysely', 'pg', 'ioredis', '@nats-io/*', 'pino', '@elcorp/kit', '@elcorp/db'], message: 'domain imports no infrastructure library' },
          { group: ['@elcorp/gateway', '@elcorp/identity', '@elcorp/payments', '@elcorp/governance', '@elcorp/compliance'], message: 'a service imports no other service' },
        ],
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
