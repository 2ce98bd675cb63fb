import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * Vitest global setup: compiles dist/ when src/ changed since the last build, so the tests that spawn the
 * real `tide` (bin/tide.js runs dist/) run the code under test. A build that fails (a file mid-edit) is
 * reported and the run goes on: the tests that spawn `tide` then fail naming the stale build; the
 * in-process ones are unaffected.
 */
export default function buildDist(): void {
  const root = path.resolve(import.meta.dirname, '../..');
  const result = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) console.warn('tide: the build of dist/ failed; tests that spawn tide will fail');
}
