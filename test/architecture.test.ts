import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../scripts/config-docs.ts';
import { errorCatalogue, errorCodes } from '../src/errors/error-codes.ts';

const root = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

function localImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g)];
  return specifiers.map((match) => path.resolve(path.dirname(file), (match[1] ?? match[2])!));
}

describe('architecture', () => {
  it('documents every error code with its status and exit code in docs/errors.md', () => {
    const doc = readFileSync(path.join(root, 'docs/errors.md'), 'utf8');
    for (const code of errorCodes) {
      const { status, exitCode } = errorCatalogue[code];
      expect(doc, `docs/errors.md row for ${code}`).toContain(`| \`${code}\` | ${status} | ${exitCode} |`);
    }
  });

  it('has no import cycles between source files', () => {
    const files = sourceFiles(path.join(root, 'src'));
    const graph = new Map(files.map((file) => [file, localImports(file)]));
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, trail: string[]) => {
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'visiting')
          cycles.push([...trail, file, next].map((f) => path.relative(root, f)).join(' → '));
        else if (!state.has(next) && graph.has(next)) visit(next, [...trail, file]);
      }
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('keeps the generated docs, JSON Schemas and .env.sample in step with the schemas (run npm run generate)', () => {
    const files = generatedFiles(readFileSync(path.join(root, 'docs/configuration.md'), 'utf8'));
    for (const [file, content] of Object.entries(files)) {
      expect(readFileSync(path.join(root, file), 'utf8'), `${file} is stale: run npm run generate`).toBe(
        content,
      );
    }
  });
});
