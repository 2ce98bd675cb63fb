import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.tide-data/',
      'coverage/',
      '.stryker-tmp/',
      'reports/',
      'stryker.config.mjs',
      'docs/',
      'dist/',
      'dist.*/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'croner', message: 'Use src/schedule/cron.ts: it owns the cron dialect and DST rules.' },
          ],
        },
      ],
    },
  },
  {
    // The cron wrapper is the one module allowed to import the cron library.
    files: ['src/schedule/cron.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
