import { describe, expect, it } from 'vitest';
import { checksumOf, parseStateHeader, withSerial } from './state-document.ts';

const text = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('the state document', () => {
  it('reads the serial and lineage of a state', () => {
    expect(parseStateHeader(text({ version: 4, serial: 0, lineage: 'l-1', resources: [] }))).toEqual({
      serial: 0,
      lineage: 'l-1',
    });
  });

  it.each([
    ['not json', 'the state is not JSON'],
    [[1, 2], 'the state is not a JSON object'],
    ['null', 'the state is not a JSON object'],
    ['5', 'the state is not a JSON object'],
    [{ lineage: 'l' }, 'the state has no serial (a non-negative integer)'],
    [{ serial: -1, lineage: 'l' }, 'the state has no serial (a non-negative integer)'],
    [{ serial: 1.5, lineage: 'l' }, 'the state has no serial (a non-negative integer)'],
    [{ serial: '1', lineage: 'l' }, 'the state has no serial (a non-negative integer)'],
    [{ serial: 1 }, 'the state has no lineage'],
    [{ serial: 1, lineage: '' }, 'the state has no lineage'],
  ])('refuses %j: %s', (value, message) => {
    expect(() => parseStateHeader(text(value))).toThrow(
      expect.objectContaining({ code: 'validation_failed', message }),
    );
  });

  it('rewrites only the serial, keeping everything else', () => {
    const rewritten = JSON.parse(
      withSerial(text({ serial: 2, lineage: 'l', resources: ['a'] }), 9).toString(),
    );
    expect(rewritten).toEqual({ serial: 9, lineage: 'l', resources: ['a'] });
  });

  it('checksums the bytes as SHA-256 hex', () => {
    expect(checksumOf(Buffer.from('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
