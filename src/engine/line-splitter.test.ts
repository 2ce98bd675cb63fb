import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_CHARS } from './line-splitter.ts';

function split(chunks: Buffer[]): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

describe('LineSplitter', () => {
  it('keeps a UTF-8 character cut between two chunks whole', () => {
    const bytes = Buffer.from('héllo\n');
    expect(split([bytes.subarray(0, 2), bytes.subarray(2)])).toEqual(['héllo']);
  });

  it('ends lines at \\n and \\r\\n, keeps empty lines, and delivers a last line without newline', () => {
    expect(split([Buffer.from('a\r\n\nb\r'), Buffer.from('\nc')])).toEqual(['a', '', 'b', 'c']);
  });

  it('cuts a line longer than the limit instead of buffering it forever', () => {
    const long = 'x'.repeat(MAX_LINE_CHARS + 10);
    expect(split([Buffer.from(long)]).map((line) => line.length)).toEqual([MAX_LINE_CHARS, 10]);
  });
});
