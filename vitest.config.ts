import { defineConfig } from 'vitest/config';

// CI asks for a machine-readable report so .ci/run can print its "N passed, N failed" line.
const reportFile = process.env.TIDE_TEST_REPORT;

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests that spawn the real `tide` run the compiled dist/: it is rebuilt first when src/ changed.
    globalSetup: ['test/helpers/build-dist.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: reportFile ? ['default', 'json'] : ['default'],
    outputFile: reportFile ? { json: reportFile } : undefined,
  },
});
