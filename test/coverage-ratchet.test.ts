/**
 * The coverage thresholds (coverage-thresholds.json, enforced by `vitest run --coverage`) form a ratchet:
 * a figure may rise but never fall below one committed earlier, and the domain folders never go below
 * 90% of lines and 85% of branches. Lowering a figure to make a run pass fails here instead.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface Threshold {
  readonly lines: number;
  readonly branches: number;
}

interface RecordedThresholds {
  readonly global: Threshold;
  readonly folders: Readonly<Record<string, Threshold>>;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const thresholdsFile = 'coverage-thresholds.json';

/** The folders whose correctness everything rests on (issue 8). */
const domainFolders = [
  'src/schedule',
  'src/scheduler',
  'src/run',
  'src/workspace',
  'src/auth',
  'src/audit',
  'src/secrets',
  'src/config',
];
const domainMinimum: Threshold = { lines: 90, branches: 85 };

function git(...args: string[]): string {
  // A CI clone owned by another user than the one running the tests is still this project's history.
  return execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd: root, encoding: 'utf8' });
}

const current = JSON.parse(readFileSync(`${root}${thresholdsFile}`, 'utf8')) as RecordedThresholds;

/** Every committed version of the thresholds file, newest first. */
function committedVersions(): { commit: string; thresholds: RecordedThresholds }[] {
  return git('log', '--format=%h', '--diff-filter=AM', '--', thresholdsFile)
    .split('\n')
    .filter(Boolean)
    .map((commit) => ({
      commit,
      thresholds: JSON.parse(git('show', `${commit}:${thresholdsFile}`)) as RecordedThresholds,
    }));
}

/** Product code is anything but tests, test support (`test-*.ts`) and declaration files. */
function hasProductCode(dir: string): boolean {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).some((file) => {
    const name = file.split('/').pop()!;
    return (
      name.endsWith('.ts') &&
      !name.endsWith('.test.ts') &&
      !name.endsWith('.d.ts') &&
      !name.startsWith('test-')
    );
  });
}

const codeFolders = readdirSync(`${root}src`, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && hasProductCode(`${root}src/${entry.name}`))
  .map((entry) => `src/${entry.name}`)
  .sort();

/** "src/run lines 95 < 96 (recorded in abc1234)" for each figure of `next` below the one in `earlier`. */
function lowered(name: string, next: Threshold, earlier: Threshold, where: string): string[] {
  return (['lines', 'branches'] as const)
    .filter((metric) => next[metric] < earlier[metric])
    .map((metric) => `${name} ${metric} ${next[metric]} < ${earlier[metric]} (${where})`);
}

describe('coverage thresholds', () => {
  it('records a threshold for every folder of src/ with code, and none for a folder that is gone', () => {
    expect(Object.keys(current.folders).sort()).toEqual(codeFolders);
  });

  it('records whole percents between 0 and 100', () => {
    const figures = [current.global, ...Object.values(current.folders)].flatMap((t) => [t.lines, t.branches]);
    expect(figures.filter((figure) => !Number.isInteger(figure) || figure < 0 || figure > 100)).toEqual([]);
  });

  it('holds every domain folder to at least 90% of lines and 85% of branches', () => {
    const below = domainFolders.flatMap((folder) =>
      lowered(folder, current.folders[folder] ?? { lines: 0, branches: 0 }, domainMinimum, 'domain minimum'),
    );
    expect(below).toEqual([]);
  });

  it('never lowers a threshold below a figure committed earlier', () => {
    const versions = committedVersions();
    const below = versions.flatMap(({ commit, thresholds }) => [
      ...lowered('all files', current.global, thresholds.global, `recorded in ${commit}`),
      // A folder that no longer exists (renamed, merged) takes its figures with it.
      ...Object.entries(thresholds.folders)
        .filter(([folder]) => codeFolders.includes(folder))
        .flatMap(([folder, earlier]) =>
          lowered(
            folder,
            current.folders[folder] ?? { lines: 0, branches: 0 },
            earlier,
            `recorded in ${commit}`,
          ),
        ),
    ]);
    expect(below).toEqual([]);
  });
});
