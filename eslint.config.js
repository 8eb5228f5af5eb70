import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The engine must not know the runner: @actions/* belongs to actions/<name>/ only.
      'no-restricted-imports': 'off'
    }
  },
  {
    files: ['packages/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // GitHub's workflow parser is a library, not the runner toolkit: the contract checks use it.
              group: ['@actions/*', '!@actions/workflow-parser', '!@actions/workflow-parser/*'],
              message: 'packages/ must not know the runner: take a Logger and options instead.'
            }
          ]
        }
      ]
    }
  }
);
