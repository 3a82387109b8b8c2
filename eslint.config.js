import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: [
            'eslint.config.js',
            'src/console/static/*.js',
            'bin/interlock.js',
            'src/worker/payload-converter.cjs',
          ],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // An un-awaited promise in a workflow or activity is a lost error or a race.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflows own their code; everything else talks to them through src/contracts/.
    files: [
      'src/activities/**/*.ts',
      'src/clients/**/*.ts',
      'src/api/**/*.ts',
      'src/domain/**/*.ts',
      'src/config/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/workflows/**'], message: 'Import workflow messages and types from src/contracts/.' },
          ],
        },
      ],
    },
  },
  {
    // Workflow code is replayed and must be deterministic: no Node built-ins, no I/O, and
    // activities are imported for their types only (the worker wires the implementations).
    files: ['src/workflows/**/*.ts', 'src/simulation/workflow/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'net', 'child_process', 'os'],
              message: 'Workflow code must be deterministic: no Node built-ins.',
            },
            {
              group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker'],
              message: 'Workflows may import only @temporalio/workflow and @temporalio/common.',
            },
            {
              group: ['**/activities/*', '!**/activities/index.js', '!**/activities/retention.js'],
              message: 'Import activities with `import type` from activities/index.js (or retention.js) only.',
            },
            {
              group: ['**/domain/incident/incident-id*'],
              message: 'incident-id uses node:crypto; derive IDs in the gateway.',
            },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value=/activities\\/index/][importKind!='type']",
          message: 'Activities: `import type` only in workflow code.',
        },
      ],
    },
  },
  {
    // The worker's payload converter, CommonJS because the SDK require()s it (see the file).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The console's few lines of browser script.
    files: ['src/console/static/*.js'],
    languageOptions: { globals: globals.browser },
  },
);
