import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', 'apps/criod/bundle/**', '**/node_modules/**', 'packages/cri-grpc/src/gen/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Typed linting: each file is checked with the type information of the tsconfig.json nearest to it.
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': 'off',
      // criod is an async daemon: a promise nobody awaits or catches is an unhandled rejection waiting to happen.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  // Plain JS files (scripts, bins) are not in any tsconfig: lint them without type information.
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
);
