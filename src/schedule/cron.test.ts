import { describe, it, expect, vi } from 'vitest';
// eslint-disable-next-line no-restricted-imports -- the test counts the library's searches behind an expression
import { Cron } from 'croner';
import { parseCron } from './cron.ts';
import type { CronExpression } from './cron.ts';
import { upcomingFirings } from './firings.ts';
import { latestFiringAtOrBefore } from './desired-state.ts';
import { at, workspaceFixture } from './test-fixtures.ts';

// Vectors from reference/provisioner.md §3.2. Where Tide's standard semantics differ from the Provisioner's,
// the Tide answer is asserted and the row says so.

function cron(source: string, timeZone = 'UTC'): CronExpression {
  const parsed = parseCron(source, timeZone);
  if (!parsed.ok) throw new Error(`expected "${source}" to parse: ${parsed.error}`);
  return parsed.cron;
}

/** A cron matches instant t iff its first firing after t - 1 s is exactly t. */
function matches(source: string, iso: string): boolean {
  const t = at(iso);
  return (
    cron(source)
      .next(new Date(t.getTime() - 1000))
      ?.getTime() === t.getTime()
  );
}

/**
 * Runs `body` with the process's local zone set to `zone`. Node applies a change of TZ in a process's main
 * thread (vitest's default forks pool) but not in worker threads, where the zone stays what it was.
 */
function withServerZone<T>(zone: string, body: () => T): T {
  const serverZone = process.env.TZ;
  process.env.TZ = zone;
  try {
    return body();
  } finally {
    if (serverZone === undefined) delete process.env.TZ;
    else process.env.TZ = serverZone;
  }
}

function nextFirings(source: string, afterIso: string, count: number, timeZone = 'UTC'): string[] {
  const expression = cron(source, timeZone);
  const firings: string[] = [];
  let cursor: Date | null = at(afterIso);
  while (firings.length < count && cursor) {
    cursor = expression.next(cursor);
    if (cursor) firings.push(cursor.toISOString());
  }
  return firings;
}

describe('cron parse validity (§3.2 A)', () => {
  const vectors: [string, boolean][] = [
    ['0 9 * * 1', true],
    ['*/5 * * * *', true],
    ['15 14 1 * *', true],
    ['0 9 * *', false],
    ['60 9 * * *', false],
    ['0 25 * * *', false],
    ['0 9 32 * *', false],
    ['0 9 * 13 *', false],
    // Provisioner: invalid. Tide: 7 is Sunday, as in standard cron.
    ['0 9 * * 7', true],
    ['*/abc * * * *', false],
    ['0 9 * * 1-5', true],
    ['0 9,17 * * 1,3,5', true],
    ['0 9 * * 1,2,4,5', true],
    ['0 9 * * 1-3,5', true],
    ['0 9 * * 1,3-5', true],
    ['0 9 * * 1-2,4-5', true],
    ['0 9 * * 1,3,5-6', true],
    ['0 9 * * 1-5-7', false],
    ['0 9 * * 5-1', false],
    ['0 9 * * 1-8', false],
  ];
  it.each(vectors)('treats "%s" as valid: %s', (source, valid) => {
    expect(parseCron(source, 'UTC').ok).toBe(valid);
  });

  it('explains why an expression is rejected', () => {
    const parsed = parseCron('0 9 * *', 'UTC');
    expect(parsed).toEqual({ ok: false, error: expect.stringContaining('got 4') });
  });

  it("passes on the library's reason for a bad field, without its prefix, as a clause", () => {
    expect(parseCron('60 9 * * *', 'UTC')).toEqual({ ok: false, error: 'invalid value for minute: 60' });
    expect(parseCron('0 9 * * 5-1', 'UTC')).toEqual({
      ok: false,
      error: "from value is larger than to value: '5-1'",
    });
  });

  it('ignores surrounding whitespace and accepts any run of blanks between fields', () => {
    const padded = cron('  0 9 * * 1 \n');
    expect(padded.source).toBe('0 9 * * 1');
    expect(padded.next(at('2024-06-17T00:00:00Z'))).toEqual(at('2024-06-17T09:00:00Z'));
    expect(cron('0  9\t* *   *').next(at('2024-06-17T00:00:00Z'))).toEqual(at('2024-06-17T09:00:00Z'));
    expect(cron(' @daily ').next(at('2024-06-17T09:00:00Z'))).toEqual(at('2024-06-18T00:00:00Z'));
  });
});

describe('cron matching (§3.2 B and C)', () => {
  const vectors: [string, string, boolean][] = [
    ['30 14 17 6 1', '2024-06-17T14:30:00Z', true],
    ['30 14 * * *', '2024-06-15T14:29:00Z', false],
    ['*/5 * * * *', '2024-06-15T14:25:00Z', true],
    ['*/5 * * * *', '2024-06-15T14:23:00Z', false],
    ['0 * * * *', '2024-06-15T14:00:00Z', true],
    ['* * * * *', '2024-06-15T14:23:00Z', true],
    ['0 9 * * 1-5', '2024-06-17T09:00:00Z', true],
    ['0 9 * * 1-5', '2024-06-21T09:00:00Z', true],
    ['0 9 * * 1-5', '2024-06-22T09:00:00Z', false],
    ['0 9 * * 1-5', '2024-06-23T09:00:00Z', false],
    ['0 9-17 * * *', '2024-06-17T14:00:00Z', true],
    ['0 9-17 * * *', '2024-06-17T08:00:00Z', false],
    ['0 9 * * 1,3,5', '2024-06-17T09:00:00Z', true],
    ['0 9 * * 1,3,5', '2024-06-19T09:00:00Z', true],
    ['0 9 * * 1,3,5', '2024-06-18T09:00:00Z', false],
    ['30 17 * * 1-5', '2024-06-19T17:30:00Z', true],
    ['30 17 * * 1-5', '2024-06-19T17:00:00Z', false],
  ];
  it.each(vectors)('"%s" at %s matches: %s', (source, iso, expected) => {
    expect(matches(source, iso)).toBe(expected);
  });
});

describe('any of several schedules (§3.2 E)', () => {
  // Config validation rejects invalid entries; the scheduling code skips any that reach it.
  const monday0900 = '2024-06-17T09:00:00Z';
  const vectors: [string[], boolean][] = [
    [['0 9 * * 1'], true],
    [['0 9 * * 1', '0 10 * * 1'], true],
    [['0 8 * * 1', '0 9 * * 1'], true],
    [['0 8 * * 1', '0 10 * * 1'], false],
    [[], false],
    [['invalid', '0 9 * * 1'], true],
    [['invalid1', 'invalid2'], false],
  ];
  it.each(vectors)('deploy schedules %j fire at Monday 09:00: %s', (deploy, expected) => {
    const firings = upcomingFirings(workspaceFixture({ deploy }), new Map(), {
      after: new Date(at(monday0900).getTime() - 1000),
      until: at(monday0900),
    });
    expect(firings.length > 0).toBe(expected);
  });
});

describe('special schedules (§3.2 F)', () => {
  it('rejects event triggers such as @reboot, which are not times (config handles them for jobs)', () => {
    for (const special of ['@reboot', '@deployment', '@deployment-failed', '@destroy', '@destroy-failed']) {
      expect(parseCron(special, 'UTC').ok).toBe(false);
    }
  });

  it('rejects an unknown macro with a message listing the known ones', () => {
    expect(parseCron('@invalid', 'UTC')).toEqual({ ok: false, error: expect.stringContaining('@daily') });
  });

  it('accepts the plain expressions of the vector', () => {
    expect(parseCron('0 9 * * 1-5', 'UTC').ok).toBe(true);
    expect(parseCron('*/15 * * * *', 'UTC').ok).toBe(true);
  });
});

describe('where Tide follows standard cron (§3.2 H)', () => {
  it('accepts steps on ranges: 15 9-17/2 fires at 09:15, 11:15 … 17:15', () => {
    expect(nextFirings('15 9-17/2 * * 1-5', '2024-06-17T00:00:00Z', 6)).toEqual([
      '2024-06-17T09:15:00.000Z',
      '2024-06-17T11:15:00.000Z',
      '2024-06-17T13:15:00.000Z',
      '2024-06-17T15:15:00.000Z',
      '2024-06-17T17:15:00.000Z',
      '2024-06-18T09:15:00.000Z',
    ]);
  });

  it('accepts day and month names', () => {
    expect(nextFirings('0 9 * * MON', '2024-06-17T00:00:00Z', 2)).toEqual([
      '2024-06-17T09:00:00.000Z',
      '2024-06-24T09:00:00.000Z',
    ]);
    expect(nextFirings('0 0 1 jan,jul *', '2024-06-17T00:00:00Z', 2)).toEqual([
      '2024-07-01T00:00:00.000Z',
      '2025-01-01T00:00:00.000Z',
    ]);
  });

  it('treats 7 as Sunday', () => {
    expect(nextFirings('0 9 * * 7', '2024-06-17T00:00:00Z', 1)).toEqual(['2024-06-23T09:00:00.000Z']);
  });

  it('accepts * inside a list, which means every value', () => {
    expect(nextFirings('*,5 * * * *', '2024-06-17T00:00:00Z', 2)).toEqual([
      '2024-06-17T00:01:00.000Z',
      '2024-06-17T00:02:00.000Z',
    ]);
  });

  it('rejects a step with a numeric start and a zero step', () => {
    expect(parseCron('5/15 * * * *', 'UTC').ok).toBe(false);
    expect(parseCron('*/0 * * * *', 'UTC').ok).toBe(false);
  });

  it('uses the OR rule when day-of-month and day-of-week are both restricted', () => {
    // The H table's Vixie column says 2024-06-24, but 2024-06-17 is itself a Monday: OR fires that day.
    expect(nextFirings('0 9 1 * 1', '2024-06-17T00:00:00Z', 4)).toEqual([
      '2024-06-17T09:00:00.000Z',
      '2024-06-24T09:00:00.000Z',
      '2024-07-01T09:00:00.000Z',
      '2024-07-08T09:00:00.000Z',
    ]);
  });

  it.each([
    ['0 9 * * 1-5', '2024-06-14T18:00:00Z', '2024-06-17T09:00:00.000Z'],
    ['*/15 * * * *', '2024-06-17T09:07:00Z', '2024-06-17T09:15:00.000Z'],
    ['0 0 31 * *', '2024-02-01T00:00:00Z', '2024-03-31T00:00:00.000Z'],
    ['0 0 29 2 *', '2023-03-01T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['0 */6 * * *', '2024-06-17T07:00:00Z', '2024-06-17T12:00:00.000Z'],
  ])('"%s" after %s fires next at %s', (source, after, expected) => {
    expect(nextFirings(source, after, 1)).toEqual([expected]);
  });

  it('skips months without a 31st and years without a 29 February', () => {
    expect(nextFirings('0 0 31 * *', '2024-03-31T00:00:00Z', 2)).toEqual([
      '2024-05-31T00:00:00.000Z',
      '2024-07-31T00:00:00.000Z',
    ]);
    expect(nextFirings('0 0 29 2 *', '2024-02-29T00:00:00Z', 1)).toEqual(['2028-02-29T00:00:00.000Z']);
  });

  it('returns null for an expression that can never fire', () => {
    expect(cron('0 0 30 2 *').next(at('2024-01-01T00:00:00Z'))).toBeNull();
  });

  it('counts a firing at exactly the reference instant as due (the Provisioner waited for the next tick)', () => {
    const expression = cron('0 9 * * 1-5');
    expect(latestFiringAtOrBefore(expression, at('2024-06-17T09:00:00.000Z'))).toEqual(
      at('2024-06-17T09:00:00Z'),
    );
    expect(expression.next(at('2024-06-17T09:00:00.000Z'))).toEqual(at('2024-06-18T09:00:00Z'));
  });
});

describe('seconds field and macros', () => {
  it('reads a sixth leading field as seconds', () => {
    expect(nextFirings('*/20 * * * * *', '2024-06-17T00:00:00Z', 3)).toEqual([
      '2024-06-17T00:00:20.000Z',
      '2024-06-17T00:00:40.000Z',
      '2024-06-17T00:01:00.000Z',
    ]);
  });

  it.each([
    ['@yearly', '2025-01-01T00:00:00.000Z'],
    ['@annually', '2025-01-01T00:00:00.000Z'],
    ['@monthly', '2024-07-01T00:00:00.000Z'],
    ['@weekly', '2024-06-23T00:00:00.000Z'],
    ['@daily', '2024-06-18T00:00:00.000Z'],
    ['@midnight', '2024-06-18T00:00:00.000Z'],
    ['@hourly', '2024-06-17T10:00:00.000Z'],
    ['@DAILY', '2024-06-18T00:00:00.000Z'],
  ])('expands %s (next after Mon 2024-06-17 09:30 is %s)', (macro, expected) => {
    expect(nextFirings(macro, '2024-06-17T09:30:00Z', 1)).toEqual([expected]);
  });

  it('lists firings in (after, until] with between, up to a limit', () => {
    const expression = cron('0 * * * *');
    expect(expression.between(at('2024-06-17T09:00:00Z'), at('2024-06-17T11:00:00Z'))).toEqual([
      at('2024-06-17T10:00:00Z'),
      at('2024-06-17T11:00:00Z'),
    ]);
    expect(expression.between(at('2024-06-17T09:00:00Z'), at('2024-06-18T09:00:00Z'), 3)).toHaveLength(3);
  });

  it.runIf(withServerZone('Asia/Kolkata', () => new Date(0).getTimezoneOffset()) === -330)(
    "does not depend on the server's own time zone",
    () => {
      expect(
        withServerZone('Asia/Kolkata', () => nextFirings('0 9 * * *', '2024-06-17T00:00:00Z', 1)),
      ).toEqual(['2024-06-17T09:00:00.000Z']);
    },
  );

  it('interprets the expression in its time zone', () => {
    expect(nextFirings('0 9 * * *', '2024-06-17T00:00:00Z', 1, 'Europe/Paris')).toEqual([
      '2024-06-17T07:00:00.000Z',
    ]);
    expect(nextFirings('0 9 * * *', '2024-06-17T00:00:00Z', 1, 'Asia/Kolkata')).toEqual([
      '2024-06-17T03:30:00.000Z',
    ]);
  });
});

describe('parse cache', () => {
  it('hands every caller the same parsed expression for one source and zone, another for another zone', () => {
    const paris = parseCron('0 7 * * 1-5', 'Europe/Paris');
    expect(parseCron('0 7 * * 1-5', 'Europe/Paris')).toBe(paris);
    const utc = parseCron('0 7 * * 1-5', 'UTC');
    expect(utc).not.toBe(paris);
    expect(utc.ok && utc.cron.timeZone).toBe('UTC');
  });

  it('keeps answering correctly once more distinct expressions were parsed than it holds (the cache starts over)', () => {
    const first = parseCron('0 7 * * 1-5', 'Europe/Paris');
    // 20,000 is the cache's bound: one more distinct expression than that empties it.
    let rejected = 0;
    for (let i = 0; i <= 20_000; i++) {
      const source = `${i % 60} ${Math.floor(i / 60) % 60} ${Math.floor(i / 3600)} * * *`;
      if (!parseCron(source, 'UTC').ok) rejected++;
    }
    expect(rejected).toBe(0);
    const again = parseCron('0 7 * * 1-5', 'Europe/Paris');
    expect(again).not.toBe(first);
    expect(again.ok && again.cron.next(at('2027-03-05T12:00:00Z'))).toEqual(at('2027-03-08T06:00:00Z'));
  });
});

describe('one expression shared by many workspaces', () => {
  it('answers a repeated question alike, with a Date of its own each time, and a new question anew', () => {
    const shared = cron('0 9 * * *', 'Europe/Paris');
    const now = at('2027-03-15T10:00:00Z');
    const first = shared.next(now)!;
    const second = shared.next(new Date(now.getTime()))!;
    expect(second).toEqual(at('2027-03-16T08:00:00Z'));
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    first.setTime(0);
    expect(shared.next(now)).toEqual(at('2027-03-16T08:00:00Z'));
    expect(shared.next(at('2027-03-16T08:00:00Z'))).toEqual(at('2027-03-17T08:00:00Z'));
    expect(cron('0 0 30 2 *').next(now)).toBeNull();
    expect(cron('0 0 30 2 *').next(now)).toBeNull();
  });

  it('searches once each for two questions asked in turn by many workspaces (a firing, then the one after it)', () => {
    const shared = cron('17 6 * * 2', 'America/New_York');
    const now = at('2027-03-15T10:00:00Z');
    const searches = vi.spyOn(Cron.prototype, 'nextRun');
    try {
      for (let workspace = 0; workspace < 100; workspace++) {
        const first = shared.next(now)!;
        expect(first).toEqual(at('2027-03-16T10:17:00Z'));
        expect(shared.next(first)).toEqual(at('2027-03-23T10:17:00Z'));
      }
      expect(searches).toHaveBeenCalledTimes(2);
      expect(shared.next(at('2027-03-23T10:17:00Z'))).toEqual(at('2027-03-30T10:17:00Z'));
      expect(searches).toHaveBeenCalledTimes(3);
    } finally {
      searches.mockRestore();
    }
  });
});
