// Type-aware lint: the promise rules (no-floating-promises, no-misused-promises)
// catch what tsc cannot, such as an upload nobody awaits or an async listener
// whose rejection an EventEmitter drops.
import tseslint from 'typescript-eslint'

export default tseslint.config(
  // The JavaScript files are one-line entry points and this config.
  // The *-context.d.ts files declare the free names of the README and TSDoc examples; only
  // their checkers load them, so that those names are not globals of the project.
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'docs/', '.tmp/', '**/*.js', 'scripts/*-context.d.ts'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    },
    // Directives for core rules (no-control-regex, ...) stay harmless when those rules are off.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `interface XOptions extends SharedOptions {}` gives a public type its own name in the docs.
      // Passing an upstream rejection reason (signal.reason, a stream's error) on as is is intended.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      // Style, not safety; an explicit cast often documents intent here.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }]
    }
  },
  {
    // Specs and benchmarks feed deliberately wrong values and throw non-errors
    // on purpose; the promise rules still apply to them.
    files: ['spec/**', 'bench/**', 'examples/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off'
    }
  }
)
