import { describe, expect, it } from 'vitest';
import { isErrorLine, parseAnsi } from './ansi';

describe('ANSI colors of engine output', () => {
  it('turns SGR color and bold codes into classes and drops the escape sequences', () => {
    expect(parseAnsi('\x1b[1m\x1b[32m+\x1b[0m create')).toEqual([
      { text: '+', classes: 'ansi-green ansi-bold' },
      { text: ' create', classes: '' },
    ]);
    expect(parseAnsi('\x1b[31;1mError:\x1b[39m plain bold\x1b[22m')).toEqual([
      { text: 'Error:', classes: 'ansi-red ansi-bold' },
      { text: ' plain bold', classes: 'ansi-bold' },
    ]);
    expect(parseAnsi('\x1b[94mbright\x1b[m')).toEqual([{ text: 'bright', classes: 'ansi-bright-blue' }]);
  });

  it('drops other escape sequences and keeps plain text as it is', () => {
    expect(parseAnsi('\x1b[2Kclean')).toEqual([{ text: 'clean', classes: '' }]);
    expect(parseAnsi('no codes')).toEqual([{ text: 'no codes', classes: '' }]);
  });

  it("finds the engine's error lines, colored or boxed", () => {
    expect(isErrorLine('\x1b[31m│\x1b[0m \x1b[1m\x1b[31mError: \x1b[0mInvalid value')).toBe(true);
    expect(isErrorLine('Error: command failed')).toBe(true);
    expect(isErrorLine('terraform_data.x: Creating...')).toBe(false);
  });
});
