// Type-aware lint over backend, frontend, tests and benchmarks. The rules that matter most
// here are the promise rules: a floating promise in a tick or a socket handler is how a
// fault goes unseen. `npm run lint` runs this and `prettier --check`; `.ci/run` runs both.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'test-results/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          // vitest.config.ts is in the root tsconfig; the Vite config belongs to no project.
          allowDefaultProject: ['frontend/vite.config.ts'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // A leading underscore marks a parameter an override must accept but does not use.
      // Passing on a rejection caught as `unknown` unchanged is fine; inventing a non-Error is not.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests and fake servers read JSON bodies of the app and of LangChain's clients and poke at
    // them field by field; typing every such body would only repeat the assertion that follows.
    // The promise rules above stay on here too: a floating promise in a test hides a failure.
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Fakes implement async interfaces with synchronous bodies.
      '@typescript-eslint/require-await': 'off',
      // Spies wrap prototype methods and call the original with `this` bound explicitly.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
