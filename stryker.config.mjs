// Mutation testing (npm run test:mutation): the modules whose correctness everything rests on.
// Scores per module and the equivalent mutants left alive are recorded in docs/testing.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: [
    // Scheduling: cron and DST, firing decisions, desired state, retries.
    'src/schedule/cron.ts',
    'src/schedule/zoned-time.ts',
    'src/schedule/desired-state.ts',
    'src/scheduler/firing-decisions.ts',
    'src/scheduler/retry-policy.ts',
    // State machines.
    'src/run/run-state.ts',
    'src/workspace/workspace-state.ts',
    // Security: lockout, password policy, permissions and workspace scope, audit hashing.
    'src/auth/password-attempts.ts',
    'src/auth/password-policy.ts',
    'src/auth/permissions.ts',
    'src/auth/workspace-scope.ts',
    'src/audit/audit-hash.ts',
    'src/audit/audit-mac.ts',
    // Config validation.
    'src/config/workspace-checks.ts',
    // State backend: run credentials (fencing) and what Tide reads of a state.
    'src/state/state-credential.ts',
    'src/state/state-document.ts',
  ],
  thresholds: { high: 90, low: 80, break: 80 },
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  concurrency: 1,
};
