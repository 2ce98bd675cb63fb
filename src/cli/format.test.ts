import { describe, expect, it } from 'vitest';
import { formatDuration, formatFields, formatRelative, formatSpan, formatTable } from './format.ts';

const now = new Date('2027-03-15T06:00:00Z');
const at = (ms: number) => new Date(now.getTime() + ms);

describe('CLI formatting', () => {
  it('aligns table columns two spaces apart and trims trailing blanks', () => {
    expect(
      formatTable(
        ['NAME', 'STATUS'],
        [
          ['web', 'deployed'],
          ['a-longer-name', ''],
        ],
      ),
    ).toBe(['NAME           STATUS', 'web            deployed', 'a-longer-name'].join('\n'));
  });

  it('aligns field values and leaves out missing ones', () => {
    expect(
      formatFields([
        ['Name', 'web'],
        ['Template', null],
        ['Description', 'Web tier'],
      ]),
    ).toBe('Name:         web\nDescription:  Web tier');
  });

  it('says how far an instant is, in at most two units', () => {
    expect(formatRelative(at(2 * 3_600_000), now)).toBe('in 2h');
    expect(formatRelative(at(2 * 3_600_000 + 5 * 60_000), now)).toBe('in 2h 5m');
    expect(formatRelative(at(-3 * 60_000), now)).toBe('3m ago');
    expect(formatRelative(at(-(3 * 86_400_000 + 4 * 3_600_000)), now)).toBe('3d 4h ago');
    expect(formatRelative(at(4000), now)).toBe('just now');
  });

  it('shows how long a run took, or has been running', () => {
    expect(formatSpan(45_000)).toBe('45s');
    expect(formatDuration('2027-03-15T05:00:00Z', '2027-03-15T05:12:30Z', now)).toBe('12m');
    expect(formatDuration('2027-03-15T05:00:00Z', null, now)).toBe('1h');
    expect(formatDuration(null, null, now)).toBe('-');
  });
});
