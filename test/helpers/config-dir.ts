import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const minimalTf = 'resource "terraform_data" "x" {}\n';

/** A throwaway config directory: relative path → content (objects are written as JSON). */
export function makeConfigDir(files: Record<string, string | object>): {
  dir: string;
  write(file: string, content: string | object): void;
  cleanup(): void;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'tide-config-'));
  const write = (file: string, content: string | object) => {
    const target = path.join(dir, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  };
  for (const [file, content] of Object.entries(files)) write(file, content);
  return { dir, write, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A valid workspace folder's files. */
export function workspaceFiles(name: string, config: object): Record<string, string | object> {
  return { [`workspaces/${name}/config.json`]: config, [`workspaces/${name}/main.tf`]: minimalTf };
}
