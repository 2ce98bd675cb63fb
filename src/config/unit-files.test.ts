import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readUnitFiles } from './unit-files.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tide-unit-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('lists, reads and hashes a unit folder, sub-folders included, engine output left out', async () => {
  const unit = path.join(dir, 'web');
  mkdirSync(path.join(unit, 'modules', 'net'), { recursive: true });
  mkdirSync(path.join(unit, '.terraform'));
  writeFileSync(path.join(unit, 'config.json'), '{"enabled":true}');
  writeFileSync(path.join(unit, 'main.tf'), 'resource "terraform_data" "x" {}\n');
  writeFileSync(path.join(unit, 'terraform.tfstate'), '{}');
  writeFileSync(path.join(unit, 'modules', 'net', 'main.tf'), '');
  writeFileSync(path.join(unit, '.terraform', 'x'), '');
  const read = await readUnitFiles(unit, ['config.json']);
  expect(read.files).toEqual(['config.json', 'main.tf', 'modules/net/main.tf']);
  expect(read.texts.get('config.json')).toBe('{"enabled":true}');
  expect(read.contentHash).toMatch(/^[0-9a-f]{64}$/);
});

it('takes a folder’s entries from a listing made moments before instead of listing it again', async () => {
  const unit = path.join(dir, 'api');
  mkdirSync(unit);
  writeFileSync(path.join(unit, 'config.json'), '{}');
  writeFileSync(path.join(unit, 'main.tf'), '');
  const listed = readdirSync(unit, { withFileTypes: true });
  // A file created after the listing is what the watch will report next; this read goes by the listing.
  writeFileSync(path.join(unit, 'late.tf'), '');
  const read = await readUnitFiles(unit, [], (folder) => (folder === unit ? listed : undefined));
  expect(read.files).toEqual(['config.json', 'main.tf']);
  expect((await readUnitFiles(unit)).files).toEqual(['config.json', 'late.tf', 'main.tf']);
});
