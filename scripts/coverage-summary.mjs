// Prints line and branch coverage per folder of src/ (from vitest's coverage/coverage-summary.json) beside
// the thresholds recorded in coverage-thresholds.json. With --raise it lifts each recorded threshold to the
// measured figure rounded down, and adds folders that have none; it never lowers one.
//
//   node scripts/coverage-summary.mjs [--raise] [coverage/coverage-summary.json]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const thresholdsFile = 'coverage-thresholds.json';
const args = process.argv.slice(2);
const raise = args.includes('--raise');
const summaryFile = args.find((arg) => arg !== '--raise') ?? 'coverage/coverage-summary.json';

if (!existsSync(summaryFile)) {
  console.log(`no coverage summary (${summaryFile}): the tests did not run with coverage`);
  process.exit(raise ? 1 : 0);
}

const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
const recorded = JSON.parse(readFileSync(thresholdsFile, 'utf8'));

/** The folder a file's figures count towards: the first level under src/, as the thresholds are keyed. */
function folderOf(file) {
  const [root, folder] = relative(process.cwd(), file).split('/');
  return root === 'src' && folder && !folder.endsWith('.ts') ? `src/${folder}` : root;
}

const folders = new Map();
for (const [file, figures] of Object.entries(summary)) {
  if (file === 'total') continue;
  const folder = folderOf(file);
  const sums = folders.get(folder) ?? { lines: [0, 0], branches: [0, 0] };
  sums.lines[0] += figures.lines.covered;
  sums.lines[1] += figures.lines.total;
  sums.branches[0] += figures.branches.covered;
  sums.branches[1] += figures.branches.total;
  folders.set(folder, sums);
}
const total = summary.total;

// Rounded down to two decimals, as vitest (istanbul) does before comparing with a threshold. A folder with
// nothing to count (only type-only modules) is fully covered, as vitest counts it.
const percent = ([covered, all]) => (all === 0 ? 100 : Math.floor((10_000 * covered) / all) / 100);
const shown = (value) => `${value.toFixed(2)}%`.padStart(7);

if (raise) {
  const raised = (current = { lines: 0, branches: 0 }, measured) => ({
    lines: Math.max(current.lines, Math.floor(measured.lines)),
    branches: Math.max(current.branches, Math.floor(measured.branches)),
  });
  const next = {
    global: raised(recorded.global, { lines: total.lines.pct, branches: total.branches.pct }),
    folders: Object.fromEntries(
      [...new Set([...Object.keys(recorded.folders), ...folders.keys()])]
        .filter((folder) => folder.startsWith('src/'))
        .sort()
        .map((folder) => {
          const sums = folders.get(folder);
          const measured = sums
            ? { lines: percent(sums.lines), branches: percent(sums.branches) }
            : { lines: 0, branches: 0 };
          return [folder, raised(recorded.folders[folder], measured)];
        }),
    ),
  };
  writeFileSync(thresholdsFile, `${JSON.stringify(next, null, 2)}\n`);
  console.log(`${thresholdsFile}: thresholds raised to the measured figures (rounded down)`);
  process.exit(0);
}

const rows = [...folders.entries()]
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([folder, sums]) => ({
    name: folder,
    lines: percent(sums.lines),
    branches: percent(sums.branches),
    threshold: recorded.folders[folder],
  }));
rows.push({
  name: 'all files',
  lines: total.lines.pct,
  branches: total.branches.pct,
  threshold: recorded.global,
});

const width = Math.max(...rows.map((row) => row.name.length));
console.log(`coverage by folder: measured [threshold]\n${'folder'.padEnd(width)}    lines          branches`);
for (const { name, lines, branches, threshold } of rows) {
  const cell = (value, min) => `${shown(value)} ${min === undefined ? '[—]' : `[${min}]`}`.padEnd(14);
  const below = threshold && (lines < threshold.lines || branches < threshold.branches);
  const missing = !threshold && name.startsWith('src/');
  const note = below ? '  BELOW THRESHOLD' : missing ? '  no threshold recorded' : '';
  console.log(
    `${name.padEnd(width)}  ${cell(lines, threshold?.lines)} ${cell(branches, threshold?.branches)}${note}`.trimEnd(),
  );
}
