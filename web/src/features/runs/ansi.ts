/**
 * ANSI SGR colors of engine output (`terraform apply` colors its diff) as spans with class names, never
 * inline styles (the page's CSP has no 'unsafe-inline'). Codes other than colors, bold and reset are
 * dropped, and so is anything that is not SGR.
 */
export interface AnsiSpan {
  readonly text: string;
  readonly classes: string;
}

const COLORS = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];
// eslint-disable-next-line no-control-regex -- matching escape sequences is the point
const ESCAPE = /\x1b\[([0-9;]*)([A-Za-z])/g;

export function parseAnsi(line: string): AnsiSpan[] {
  const spans: AnsiSpan[] = [];
  let fg: string | null = null;
  let bold = false;
  let last = 0;
  const push = (text: string) => {
    if (text === '') return;
    const classes = [fg && `ansi-${fg}`, bold && 'ansi-bold'].filter(Boolean).join(' ');
    spans.push({ text, classes });
  };
  for (const match of line.matchAll(ESCAPE)) {
    push(line.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[2] !== 'm') continue;
    for (const code of (match[1] || '0').split(';').map(Number)) {
      if (code === 0) {
        fg = null;
        bold = false;
      } else if (code === 1) bold = true;
      else if (code === 22) bold = false;
      else if (code === 39) fg = null;
      else if (code >= 30 && code <= 37) fg = COLORS[code - 30]!;
      else if (code >= 90 && code <= 97) fg = `bright-${COLORS[code - 90]!}`;
    }
  }
  push(line.slice(last));
  return spans;
}

const stripped = (line: string) => line.replace(ESCAPE, '');

/** Lines an operator looks for first: the engine's `Error:` blocks and Tide's failure notes. */
export function isErrorLine(line: string): boolean {
  return /^(│\s*)?Error:|^error:|\bfailed\b/i.test(stripped(line).trim());
}
