// ESLint: typescript-eslint's recommended rules, no console, and the layer arrows of STYLE.md §1.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns, message) => ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  { files: ['src/routes/**'], rules: { 'no-restricted-imports': restrict(['**/db/**', '**/credentials/**', '**/keys/**', '**/artifacts/**'], 'routes call services; they never touch db, credentials, keys or artifacts') } },
  { files: ['src/services/**'], rules: { 'no-restricted-imports': restrict(['fastify', '**/routes/**', '**/plugins/**'], 'services know nothing of HTTP') } },
  {
    files: ['src/credentials/**', 'src/keys/**', 'src/artifacts/**'],
    rules: { 'no-restricted-imports': restrict(['fastify', 'kysely', 'pg', 'pino', '**/db/**', '**/services/**', '**/routes/**'], 'credentials/, keys/ and artifacts/ are pure: no HTTP, storage or logging') },
  },
  { files: ['src/db/**'], rules: { 'no-restricted-imports': restrict(['**/credentials/**', '**/keys/**', '**/services/**', 'fastify'], 'db/ holds SQL only') } },
  { files: ['src/views/**'], rules: { 'no-restricted-imports': restrict(['**/db/**', '**/services/**', '**/credentials/**', 'fastify'], 'views are pure functions of a view model') } },
  { files: ['src/**'], rules: { 'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Only src/config.ts reads process.env' }] } },
  { files: ['src/config.ts', 'tests/**', 'bench/**', 'scripts/**'], rules: { 'no-restricted-syntax': 'off' } },
);
