import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../scripts/config-docs.ts';
import { errorCatalogue, errorCodes } from '../src/errors/error-codes.ts';

const root = path.resolve(import.meta.dirname, '..');

describe('architecture', () => {
  it('documents every error code with its status and exit code in docs/errors.md', () => {
    const doc = readFileSync(path.join(root, 'docs/errors.md'), 'utf8');
    for (const code of errorCodes) {
      const { status, exitCode } = errorCatalogue[code];
      expect(doc, `docs/errors.md row for ${code}`).toContain(`| \`${code}\` | ${status} | ${exitCode} |`);
    }
  });

  // `npm run check:architecture` (.dependency-cruiser.cjs) checks the layers and the folder and file
  // cycles of the product code; its folder rules leave tests out. A test or helper in a file cycle is
  // still a cycle, so this cruise takes every TypeScript file in the repository, tests included.
  it('has no import cycles between files, tests and test helpers included', async () => {
    const { output } = await cruise(['src', 'test', 'scripts', 'bench'], {
      baseDir: root,
      validate: true,
      ruleSet: {
        forbidden: [{ name: 'no-file-cycle', severity: 'error', from: {}, to: { circular: true } }],
      },
      doNotFollow: { path: 'node_modules' },
      tsPreCompilationDeps: true,
    });
    const { violations, totalCruised } = (output as ICruiseResult).summary;
    // Guards against a cruise that silently found nothing (a wrong base directory, say).
    expect(totalCruised).toBeGreaterThan(400);
    expect(
      violations.map((violation) =>
        [violation.from, ...(violation.cycle ?? []).map((step) => step.name)].join(' → '),
      ),
    ).toEqual([]);
  }, 60_000);

  it('keeps the generated docs, JSON Schemas and .env.sample in step with the schemas (run npm run generate)', () => {
    const files = generatedFiles(readFileSync(path.join(root, 'docs/configuration.md'), 'utf8'));
    for (const [file, content] of Object.entries(files)) {
      expect(readFileSync(path.join(root, file), 'utf8'), `${file} is stale: run npm run generate`).toBe(
        content,
      );
    }
  });
});
