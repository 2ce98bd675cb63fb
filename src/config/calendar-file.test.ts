import { describe, it, expect } from 'vitest';
import { parseCalendarFile } from './calendar-file.ts';
import type { CalendarFileResult } from './calendar-file.ts';

function yaml(text: string): CalendarFileResult {
  return parseCalendarFile({ name: 'holidays', file: 'calendars/holidays.yaml', text, format: 'yaml' });
}

function ics(...lines: string[]): CalendarFileResult {
  const text = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Tide//Test//EN', ...lines, 'END:VCALENDAR'].join(
    '\r\n',
  );
  return parseCalendarFile({ name: 'holidays', file: 'calendars/holidays.ics', text, format: 'ics' });
}

function event(...lines: string[]): string[] {
  return ['BEGIN:VEVENT', `UID:${lines.join('|').length}@tide.test`, ...lines, 'END:VEVENT'];
}

function dates(result: CalendarFileResult): string[] {
  if (!result.ok) throw new Error(`expected a calendar, got ${JSON.stringify(result.problems)}`);
  return [...result.calendar.dates];
}

function problems(result: CalendarFileResult): { path: string; message: string }[] {
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('YAML calendars', () => {
  it('reads plain dates, named dates and inclusive ranges, sorted and without duplicates', () => {
    const result = yaml(`
- "2027-12-25"
- date: 2027-01-01
  name: New Year
- from: 2027-08-02
  to: 2027-08-04
  name: Summer closure
- 2027-01-01
`);
    expect(dates(result)).toEqual(['2027-01-01', '2027-08-02', '2027-08-03', '2027-08-04', '2027-12-25']);
    expect(result.ok && result.calendar.entries).toEqual([
      { date: '2027-01-01', name: 'New Year' },
      { date: '2027-08-02', name: 'Summer closure' },
      { date: '2027-08-03', name: 'Summer closure' },
      { date: '2027-08-04', name: 'Summer closure' },
      { date: '2027-12-25' },
    ]);
    expect(result.ok && result.calendar).toMatchObject({ name: 'holidays', file: 'calendars/holidays.yaml' });
  });

  it('accepts a mapping with a "dates" list', () => {
    expect(dates(yaml('dates:\n  - 2027-05-01\n  - {date: 2027-05-08, name: Victory}\n'))).toEqual([
      '2027-05-01',
      '2027-05-08',
    ]);
  });

  it('treats an empty file as a calendar without dates', () => {
    expect(dates(yaml(''))).toEqual([]);
  });

  it('reports every problem at once, each with its path', () => {
    const found = problems(
      yaml(`
- 2027-02-30
- {date: 2027-03-01, colour: red}
- {from: 2027-04-10, to: 2027-04-01}
- {date: "2027-13-01"}
- {from: 2027-01-01, to: 2028-12-31}
- 42
- {date: 2027-06-01, name: 7}
- {from: 2027-07-01}
`),
    );
    expect(found.map((problem) => problem.path)).toEqual([
      '[0]',
      '[1].colour',
      '[2].to',
      '[3].date',
      '[4]',
      '[5]',
      '[6].name',
      '[7].to',
    ]);
    expect(found[0]!.message).toMatch(/invalid date "2027-02-30"/);
    expect(found[2]!.message).toBe('"to" (2027-04-01) is before "from" (2027-04-10)');
    expect(found[4]!.message).toMatch(/731 days is longer than 366/);
    expect(found[7]!.message).toMatch(/missing date/);
  });

  it('prefixes paths with "dates" in the mapping form and rejects other keys', () => {
    expect(problems(yaml('dates:\n  - nope\ntitle: Holidays\n'))).toEqual([
      { path: 'title', message: 'unknown key "title" (expected "dates")' },
      { path: 'dates[0]', message: expect.stringMatching(/invalid date "nope"/) },
    ]);
  });

  it('rejects a document that is not a list', () => {
    expect(problems(yaml('just text'))).toEqual([
      { path: '', message: expect.stringMatching(/expected a list/) },
    ]);
  });

  it('reports YAML syntax errors', () => {
    const [problem] = problems(yaml('- 2027-01-01\n- [unclosed\n'));
    expect(problem?.path).toBe('');
    expect(problem?.message).toMatch(/line/i);
  });
});

describe('iCalendar calendars', () => {
  it('marks an all-day event’s day, named by its summary', () => {
    const result = ics(...event('DTSTART;VALUE=DATE:20271225', 'SUMMARY:Christmas'));
    expect(result.ok && result.calendar.entries).toEqual([{ date: '2027-12-25', name: 'Christmas' }]);
  });

  it('treats DTEND of an all-day event as exclusive', () => {
    const result = ics(
      ...event('DTSTART;VALUE=DATE:20270802', 'DTEND;VALUE=DATE:20270805', 'SUMMARY:Closure'),
    );
    expect(dates(result)).toEqual(['2027-08-02', '2027-08-03', '2027-08-04']);
  });

  it('marks the local dates a timed event covers, in its own zone', () => {
    const result = ics(
      ...event(
        'DTSTART;TZID=Europe/Paris:20270314T230000',
        'DTEND;TZID=Europe/Paris:20270315T010000',
        'SUMMARY:Late',
      ),
      ...event('DTSTART:20270320T100000Z', 'DTEND:20270321T000000Z', 'SUMMARY:Ends at midnight'),
      ...event('DTSTART:20270401T090000Z', 'SUMMARY:No end'),
    );
    expect(dates(result)).toEqual(['2027-03-14', '2027-03-15', '2027-03-20', '2027-04-01']);
  });

  it('expands a yearly RRULE defined decades ago up to 2100, leaving out EXDATEs', () => {
    const result = ics(
      ...event(
        'DTSTART;VALUE=DATE:19900501',
        'RRULE:FREQ=YEARLY',
        'EXDATE;VALUE=DATE:20290501',
        'SUMMARY:Labour Day',
      ),
    );
    const marked = dates(result);
    expect(marked).toHaveLength(109);
    expect(marked[0]).toBe('1990-05-01');
    expect(marked).toContain('2027-05-01');
    expect(marked).not.toContain('2029-05-01');
    expect(marked.at(-1)).toBe('2099-05-01');
  });

  it('stops an endless daily RRULE after 4000 occurrences', () => {
    const marked = dates(
      ics(...event('DTSTART;VALUE=DATE:20270101', 'RRULE:FREQ=DAILY', 'SUMMARY:Every day')),
    );
    expect(marked).toHaveLength(4000);
    expect(marked.at(-1)).toBe('2037-12-13'); // 2027-01-01 + 3999 days
  });

  it('reads YAML 1.1 timestamps as dates', () => {
    expect(dates(yaml('%YAML 1.1\n---\n- 2027-12-25\n- {date: 2027-12-26, name: Boxing Day}\n'))).toEqual([
      '2027-12-25',
      '2027-12-26',
    ]);
  });

  it('expands a bounded weekly RRULE of a multi-day event', () => {
    const result = ics(
      ...event(
        'DTSTART;VALUE=DATE:20270306',
        'DTEND;VALUE=DATE:20270308',
        'RRULE:FREQ=WEEKLY;COUNT=2',
        'SUMMARY:Weekend',
      ),
    );
    expect(dates(result)).toEqual(['2027-03-06', '2027-03-07', '2027-03-13', '2027-03-14']);
  });

  it('reports a malformed file with the parser’s reason', () => {
    const result = parseCalendarFile({
      name: 'x',
      file: 'calendars/x.ics',
      text: 'not a calendar',
      format: 'ics',
    });
    expect(problems(result)).toEqual([
      { path: '', message: expect.stringMatching(/^invalid iCalendar: invalid line/) },
    ]);
  });

  it('reports a file that is not a VCALENDAR', () => {
    const result = parseCalendarFile({
      name: 'x',
      file: 'x.ics',
      text: 'BEGIN:VEVENT\r\nEND:VEVENT',
      format: 'ics',
    });
    expect(problems(result)).toEqual([
      { path: '', message: expect.stringMatching(/expected BEGIN:VCALENDAR/) },
    ]);
  });

  it('reports bad events by index and keeps checking the others', () => {
    const found = problems(
      ics(
        ...event('SUMMARY:No start'),
        ...event('DTSTART;VALUE=DATE:20270101', 'SUMMARY:Fine'),
        ...event('DTSTART:2027xx01T000000Z', 'SUMMARY:Bad date'),
        ...event('DTSTART;VALUE=DATE:20270105', 'DTEND;VALUE=DATE:20270101', 'SUMMARY:Backwards'),
      ),
    );
    expect(found).toEqual([
      { path: 'VEVENT[0]', message: 'event "No start": missing DTSTART' },
      { path: 'VEVENT[2]', message: 'event "Bad date": Could not extract integer from "xx"' },
      { path: 'VEVENT[3]', message: 'event "Backwards": DTEND is before DTSTART' },
    ]);
  });
});
