// Lint rules that catch what the type checker does not: floating promises (a lost
// activity or query result) and Node/database imports in the deterministic workflow bundle.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.attribution/**', 'client/bin.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' }],
      }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is bundled and replayed: only deterministic, dependency-free code may enter.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process', 'pg', 'pg-*', 'zod', 'decimal.js', 'luxon', 'csv-parse', 'yaml'],
            message: 'Workflows must stay deterministic: import activity types only and do I/O in activities.' },
          { group: ['../activities/*', '../activities'], allowTypeImports: true,
            message: 'Workflows may import activity types only (import type).' },
        ],
      }],
    },
  },
  {
    // The attribution domain is pure: no database, no Temporal, no file system.
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['pg', 'pg-*', '@temporalio/*', 'node:fs', 'node:fs/*', 'fs', 'node:child_process'],
          message: 'The domain folder is pure: no I/O, no Temporal.' }],
      }],
    },
  },
);
