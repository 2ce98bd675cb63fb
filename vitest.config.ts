import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// CI asks for a machine-readable report so .ci/run can print its "N passed, N failed" line.
const reportFile = process.env.TIDE_TEST_REPORT;

/** Minimum lines and branches (percent) per folder under src/, recorded in coverage-thresholds.json. */
interface FolderThreshold {
  readonly lines: number;
  readonly branches: number;
}

const recorded = JSON.parse(readFileSync(new URL('./coverage-thresholds.json', import.meta.url), 'utf8')) as {
  readonly global: FolderThreshold;
  readonly folders: Readonly<Record<string, FolderThreshold>>;
};

// One glob per folder: vitest names the glob when that folder misses its figure. The global figure is a
// backstop for a folder that has no entry yet.
const folderThresholds = Object.fromEntries(
  Object.entries(recorded.folders).map(([folder, { lines, branches }]) => [
    `${folder}/**`,
    { lines, branches },
  ]),
);

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    // Tests that spawn the real `tide` run the compiled dist/: it is rebuilt first when src/ changed.
    globalSetup: ['test/helpers/build-dist.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: reportFile ? ['default', 'json'] : ['default'],
    outputFile: reportFile ? { json: reportFile } : undefined,
    // Off unless asked for (`vitest run --coverage`, as `npm run test:unit` does): a run of a few files
    // would miss every folder's figure.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // Test support that lives beside the code (test-fixtures.ts, test-engine.ts …) is not product code.
      // Type-only modules compile to nothing: V8 counts no line in them, so they weigh on no figure.
      exclude: ['src/**/*.test.ts', 'src/**/test-*.ts', 'src/**/*.d.ts'],
      reporter: ['text-summary', 'json-summary'],
      // .ci/run prints the per-folder figures even when a test failed.
      reportOnFailure: true,
      thresholds: { lines: recorded.global.lines, branches: recorded.global.branches, ...folderThresholds },
    },
  },
});
