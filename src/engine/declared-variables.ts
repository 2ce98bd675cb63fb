/**
 * Which input variables the root module declares: the `variable "<name>"` blocks of the working
 * directory's top-level `*.tf` / `*.tofu` files and the `variable` objects of its `*.tf.json` /
 * `*.tofu.json` files — the files the engine reads as the root module. Tide passes only these, so the
 * engine never warns about a value for an undeclared variable.
 *
 * The HCL side is a scanner, not a parser: it skips comments, quoted strings (with their `${ }` templates,
 * which may hold strings and braces of their own) and heredocs, counts braces, and reads the header of
 * each top-level block. That is enough to tell `variable "x" {` from the same words in a comment, a
 * string, a heredoc or a nested block.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

const HCL_FILE = /\.(tf|tofu)$/;
const JSON_FILE = /\.(tf|tofu)\.json$/;

/** The declared names, or null when the directory holds no engine code to tell by (custom commands). */
export async function declaredVariables(dir: string): Promise<Set<string> | null> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries.filter(
    (entry) => entry.isFile() && (HCL_FILE.test(entry.name) || JSON_FILE.test(entry.name)),
  );
  if (files.length === 0) return null;
  const names = new Set<string>();
  for (const file of files) {
    const text = await readFile(path.join(dir, file.name), 'utf8');
    const found = JSON_FILE.test(file.name) ? jsonVariableNames(text) : hclVariableNames(text);
    for (const name of found) names.add(name);
  }
  return names;
}

/** `variable "name" {` (or `variable name {`) blocks at the top level of an HCL file. */
export function hclVariableNames(text: string): string[] {
  return topLevelBlockHeaders(text)
    .filter((header) => header.length === 2 && header[0] === 'variable')
    .map((header) => header[1] ?? '');
}

/** `{"variable": {"name": {…}}}`, or a list of such objects; `//` keys are comments. */
export function jsonVariableNames(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The engine reports the broken file itself, better than Tide could.
    return [];
  }
  if (!isObject(parsed)) return [];
  const blocks = Array.isArray(parsed.variable) ? (parsed.variable as unknown[]) : [parsed.variable];
  return blocks.filter(isObject).flatMap((block) => Object.keys(block).filter((name) => name !== '//'));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_-]*/y;
const HEREDOC = /<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/y;

/** The words and labels before each top-level `{`; a block header is one line in HCL. */
function topLevelBlockHeaders(text: string): string[][] {
  const headers: string[][] = [];
  let header: string[] = [];
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '#' || (c === '/' && next === '/')) {
      i = lineEnd(text, i);
    } else if (c === '/' && next === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close === -1 ? text.length : close + 2;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      if (depth === 0) header.push(text.slice(i + 1, end - 1));
      i = end;
    } else if (c === '<' && next === '<' && startsHeredoc(text, i)) {
      i = heredocEnd(text, i);
    } else if (c === '{') {
      if (depth === 0) headers.push(header);
      depth += 1;
      i += 1;
    } else if (c === '}' || (c === '\n' && depth === 0)) {
      if (c === '}') depth = Math.max(0, depth - 1);
      if (depth === 0) header = [];
      i += 1;
    } else if (depth === 0 && /[A-Za-z_]/.test(c ?? '')) {
      IDENTIFIER.lastIndex = i;
      const word = IDENTIFIER.exec(text)?.[0] ?? c ?? '';
      header.push(word);
      i += word.length;
    } else {
      i += 1;
    }
  }
  return headers;
}

function lineEnd(text: string, from: number): number {
  const newline = text.indexOf('\n', from);
  // The newline itself is left for the caller: it ends a top-level header.
  return newline === -1 ? text.length : newline;
}

/**
 * The index after the closing quote of the string opening at `start`. `${…}` and `%{…}` templates are
 * skipped as expressions (`$${` is a literal); a newline ends an unterminated string, as the engine would.
 */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else if (c === '\n') return i;
    else if ((c === '$' || c === '%') && text[i + 1] === c && text[i + 2] === '{') i += 3;
    else if ((c === '$' || c === '%') && text[i + 1] === '{') i = templateEnd(text, i + 2);
    else i += 1;
  }
  return i;
}

/** The index after the `}` closing a template expression whose body starts at `from`. */
function templateEnd(text: string, from: number): number {
  let depth = 1;
  let i = from;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i = stringEnd(text, i);
      continue;
    }
    if (c === '{') depth += 1;
    if (c === '}') depth -= 1;
    i += 1;
    if (depth === 0) return i;
  }
  return i;
}

function startsHeredoc(text: string, at: number): boolean {
  HEREDOC.lastIndex = at;
  return HEREDOC.test(text);
}

/** The index after a heredoc's closing marker line (which may be indented, in either form). */
function heredocEnd(text: string, start: number): number {
  HEREDOC.lastIndex = start;
  const match = HEREDOC.exec(text);
  if (!match) return start + 2;
  const marker = match[1];
  let i = HEREDOC.lastIndex;
  while (i < text.length) {
    const end = lineEnd(text, i);
    if (text.slice(i, end).trim() === marker) return end;
    i = end + 1;
  }
  return text.length;
}
