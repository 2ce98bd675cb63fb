/**
 * Compiles src/ into dist/, the JavaScript that `tide` runs (`npm run build`; `npm ci` runs it as
 * `prepare`). tsc emits every file with its `.ts` imports rewritten to `.js` (tsconfig.build.json); it
 * does not type-check (`npm run typecheck` does), so a build takes seconds. Files under src/ that are not
 * TypeScript (the common-password list) are copied beside the code that reads them. Vite then builds the
 * dashboard from web/ into dist/web, which `tide serve` serves at `/` (docs/dashboard.md).
 *
 * `node scripts/build.mjs --if-stale` builds only when dist/ is missing or older than src/ or web/.
 * bin/tide.js uses `staleBuild` to refuse a stale dist/. See docs/decisions/012-compiled-javascript.md.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const STAMP = '.built';

/** Not compiled (tsconfig.build.json excludes them), so editing them does not make dist/ stale. */
const isTestOnly = (name) => name.endsWith('.test.ts') || name === 'test-fixtures.ts';

/** What the build reads: the server's sources and the dashboard's. */
const SOURCE_DIRS = ['src', 'web'];

/**
 * Every file and directory under src/ that the build reads, with its mtime. Directories count too: adding,
 * removing or renaming a file changes its directory's mtime, even when the file keeps an old one.
 */
function* sourceEntries(dir) {
  yield { file: dir, mtimeMs: statSync(dir).mtimeMs };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceEntries(file);
    else if (!isTestOnly(entry.name)) yield { file, mtimeMs: statSync(file).mtimeMs };
  }
}

/**
 * Why dist/ cannot be run as it is, or null when it is current. Without src/ (an installed copy, not a
 * checkout) only its presence is checked.
 */
export function staleBuild(root) {
  const rootDir = fileURLToPath(root);
  const stamp = path.join(rootDir, 'dist', STAMP);
  if (!existsSync(stamp)) return 'dist/ is missing: run `npm run build` (npm ci does it)';
  if (!existsSync(path.join(rootDir, 'src'))) return null;
  const builtAt = statSync(stamp).mtimeMs;
  for (const dir of SOURCE_DIRS) {
    const sources = path.join(rootDir, dir);
    if (!existsSync(sources)) continue;
    for (const { file, mtimeMs } of sourceEntries(sources)) {
      if (mtimeMs > builtAt)
        return `dist/ is older than ${path.relative(rootDir, file)}: run \`npm run build\``;
    }
  }
  return null;
}

/**
 * Compiles into a fresh directory and swaps it in, so a `tide` started meanwhile sees the old build or
 * the new one, never half of one.
 */
export function build(root) {
  const rootDir = fileURLToPath(root);
  // The stamp is the time the build started: a source saved while tsc runs still counts as newer.
  const startedAt = new Date();
  const dist = path.join(rootDir, 'dist');
  const next = `${dist}.${process.pid}.tmp`;
  rmSync(next, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const compiled = spawnSync(
    process.execPath,
    [tsc, '-p', path.join(rootDir, 'tsconfig.build.json'), '--outDir', next],
    { stdio: 'inherit' },
  );
  if (compiled.status !== 0) {
    rmSync(next, { recursive: true, force: true });
    throw new Error(`tsc failed (exit ${compiled.status ?? compiled.signal})`);
  }
  copyAssets(path.join(rootDir, 'src'), next);
  buildDashboard(rootDir, path.join(next, 'web'), next);
  writeFileSync(path.join(next, STAMP), '');
  utimesSync(path.join(next, STAMP), startedAt, startedAt);
  swapIn(next, dist);
}

/** Vite, as a child process: bin/tide.js imports this file, and an installed copy may have no Vite. */
function buildDashboard(rootDir, outDir, next) {
  const vite = path.join(
    path.dirname(createRequire(import.meta.url).resolve('vite/package.json')),
    'bin/vite.js',
  );
  const built = spawnSync(
    process.execPath,
    [
      vite,
      'build',
      '--config',
      path.join(rootDir, 'web/vite.config.ts'),
      '--outDir',
      outDir,
      '--logLevel',
      'warn',
    ],
    // Vitest rebuilds dist/ with NODE_ENV=test in its environment; Vite would then bundle React's
    // development build (half again as large, and slower) into the dashboard the browser tests measure.
    { stdio: 'inherit', cwd: rootDir, env: { ...process.env, NODE_ENV: 'production' } },
  );
  if (built.status !== 0) {
    rmSync(next, { recursive: true, force: true });
    throw new Error(`the dashboard's build (vite) failed (exit ${built.status ?? built.signal})`);
  }
}

function copyAssets(src, out) {
  for (const { file } of sourceEntries(src)) {
    if (file.endsWith('.ts') || statSync(file).isDirectory()) continue;
    const target = path.join(out, path.relative(src, file));
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
}

function swapIn(next, dist) {
  const old = `${dist}.${process.pid}.old`;
  try {
    renameSync(dist, old);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  try {
    renameSync(next, dist);
  } catch (error) {
    // Another build swapped its dist/ in between our two renames; it is as new as ours.
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    rmSync(next, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = new URL('..', import.meta.url);
  const ifStale = process.argv.includes('--if-stale');
  if (!ifStale || staleBuild(root) !== null) build(root);
}
