// ESLint for the UI (`npm run lint`): typescript-eslint's type-aware recommended rules and the Rules of Hooks.
// tsc --noEmit stays the type check; this adds what the compiler does not see (floating promises, hook order,
// effect dependencies, …).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Build output. The generated API types (src/api/generated) pass as they are, so they are linted too; should
  // `cargo xtask gen-types` ever write something a rule trips on, ignore that folder here rather than edit it.
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2022,
      globals: { ...globals.browser },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      // `{ node: _node, ...props }` leaves a prop out of a spread: that binding is meant to go unused.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // Config and test files run in Node.
    files: ['*.{js,ts}', '**/*.test.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // This file is plain JavaScript outside tsconfig: no type information for it.
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
