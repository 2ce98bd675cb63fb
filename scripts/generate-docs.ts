/** Writes every file derived from the schemas (see scripts/config-docs.ts). */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generatedFiles } from './config-docs.ts';

const root = path.resolve(import.meta.dirname, '..');
const files = generatedFiles(readFileSync(path.join(root, 'docs/configuration.md'), 'utf8'));
for (const [file, content] of Object.entries(files)) {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), content);
  console.log(`wrote ${file}`);
}
