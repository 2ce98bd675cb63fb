/**
 * `npm run bench:web`: the dashboard's initial JavaScript, gzipped — the entry chunk and the chunks
 * index.html preloads — against the 250 KB budget of issue 13 (docs/benchmarks.md). Pages loaded on
 * demand are listed apart. Reads dist/web, so run `npm run build` first. Exits 1 over budget.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const BUDGET_BYTES = 250 * 1024;

export interface BundleSize {
  readonly file: string;
  readonly initial: boolean;
  readonly gzip: number;
}

export function bundleSizes(webDir: string): { initialGzip: number; sizes: BundleSize[] } {
  const html = readFileSync(path.join(webDir, 'index.html'), 'utf8');
  const initial = new Set([...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]!));
  const sizes = readdirSync(path.join(webDir, 'assets'))
    .filter((file) => file.endsWith('.js'))
    .map((file): BundleSize => ({
      file,
      initial: initial.has(file),
      gzip: gzipSync(readFileSync(path.join(webDir, 'assets', file)), { level: 9 }).length,
    }));
  const initialGzip = sizes.filter((s) => s.initial).reduce((sum, s) => sum + s.gzip, 0);
  return { initialGzip, sizes };
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const webDir = path.resolve(import.meta.dirname, '../dist/web');
  const { initialGzip, sizes } = bundleSizes(webDir);
  for (const s of sizes.sort((a, b) => b.gzip - a.gzip))
    console.log(
      `${s.initial ? 'initial ' : 'on demand'} ${(s.gzip / 1024).toFixed(1).padStart(7)} KB  ${s.file}`,
    );
  console.log(
    `initial JavaScript: ${(initialGzip / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_BYTES / 1024} KB)`,
  );
  if (initialGzip > BUDGET_BYTES) process.exit(1);
}
