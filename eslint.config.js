import tseslint from 'typescript-eslint';
import face from './eslint/face.mjs';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }]
    }
  },
  {
    // The engine must not know the runner: @actions/* belongs to actions/<name>/ only.
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
  },
  {
    // Each package has a face: from outside, packages/<name> is imported through its src/index.ts only
    // (eslint/face.mjs; eslint/face-allowlist.txt is empty and the face test keeps it so).
    files: ['packages/**/*.ts', 'actions/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    plugins: { face },
    rules: { 'face/index-only': 'error', 'face/allowlisted': 'warn' }
  }
);
