// Lint exists mainly to hold the layering of STYLE.md: the core imports nothing outside the core,
// drivers import only the core, and nothing below main.ts decides the process's fate.
import tseslint from 'typescript-eslint';

const outsideCore = [
  { group: ['**/cli/**', '**/config/**', '**/drivers/**', '**/observability/**', '**/main.js', '**/bin.js'], message: 'src/core imports nothing outside src/core (STYLE.md: layout and dependency direction).' },
  { group: ['pg', 'pg-*', 'mysql2', 'mysql2/*', 'better-sqlite3', 'pino', 'pino-*', 'prom-client', 'commander', 'cosmiconfig', 'dotenv', 'zod'], message: 'src/core must not depend on a database client, logger, metrics, CLI or config library: take it through a port.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bin/**', '.tmp/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: outsideCore }],
      'no-restricted-globals': ['error', { name: 'process', message: 'src/core never reads process state: pass it in from the edge.' }, { name: 'console', message: 'src/core never prints: emit an event.' }],
      'no-restricted-syntax': ['error', { selector: "ImportDeclaration[source.value=/^(node:)?process$/]", message: 'src/core never reads process state.' }],
    },
  },
  {
    files: ['src/drivers/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/cli/**', '**/config/**', '**/observability/**', '**/main.js'], message: 'Drivers import only src/core types and their own client library.' },
      ] }],
      'no-restricted-globals': ['error', { name: 'console', message: 'Drivers never print.' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/main.ts', 'src/bin.ts'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'process', property: 'exit', message: 'Only src/main.ts decides the exit code.' },
        { object: 'process', property: 'exitCode', message: 'Only src/main.ts decides the exit code.' },
      ],
      'no-console': 'error',
    },
  },
);
