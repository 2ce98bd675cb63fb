import { parseDocument } from 'yaml';

export type ParsedFile = { ok: true; value: unknown } | { ok: false; message: string };

/** Parses a config file by extension: `.json` as JSON, `.yaml`/`.yml` as YAML (duplicate keys rejected). */
export function parseConfigText(file: string, text: string): ParsedFile {
  if (file.endsWith('.json')) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (error) {
      return { ok: false, message: `invalid JSON: ${(error as Error).message}` };
    }
  }
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const [first] = document.errors;
  // Pretty errors carry "at line L, column C:" and a code excerpt; one line is enough for a problem list.
  if (first)
    return { ok: false, message: `invalid YAML: ${first.message.split('\n')[0]!.replace(/:$/, '')}` };
  return { ok: true, value: document.toJS() };
}
