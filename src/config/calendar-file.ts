/**
 * Holiday calendars (`<config>/calendars/<name>.yaml|.ics`): the dates on which uptime windows are closed
 * and deploy firings skipped. A pure function of the file's text; every problem is reported at once.
 *
 * YAML: a list (or `{dates: [...]}`) whose items are `"2027-12-25"`, `{date, name?}` or an inclusive range
 * `{from, to, name?}` of at most 366 days. Unknown keys are errors.
 *
 * ICS: every VEVENT marks the dates it covers, named by its SUMMARY. All-day events (`DTSTART;VALUE=DATE`)
 * cover DTSTART up to DTEND exclusive (one day without DTEND); timed events cover the local dates they touch
 * in their own zone (as written, so `TZID=Europe/Paris` dates are Paris dates). RRULEs are expanded over
 * up to the year 2100 (so a yearly holiday defined decades ago still counts), at most 4000
 * occurrences, honouring EXDATE.
 */
import ICAL from 'ical.js';
import { parseDocument } from 'yaml';
import { addDays, daysBetween, isIsoDate } from '../schedule/calendar-days.ts';
import type { Calendar, CalendarDate } from '../schedule/schedule-model.ts';

export interface CalendarFileInput {
  /** Calendar name (the file name without extension). */
  readonly name: string;
  /** Path relative to the config directory. */
  readonly file: string;
  readonly text: string;
  readonly format: 'yaml' | 'ics';
}

export interface CalendarFileProblem {
  /** `[3].date` for YAML items, `VEVENT[2]` for iCalendar events, empty for the whole file. */
  readonly path: string;
  readonly message: string;
}

export type CalendarFileResult =
  { ok: true; calendar: Calendar } | { ok: false; problems: CalendarFileProblem[] };

const maxSpanDays = 366;
// A fixed horizon keeps parsing a pure function of the file; 4000 occurrences bound daily rules.
const recurrenceHorizon = Date.UTC(2100, 0, 1);
const maxOccurrences = 4000;

/** What a reader collects: entries in file order (a date may repeat) and problems. */
interface Collected {
  readonly entries: CalendarDate[];
  readonly problems: CalendarFileProblem[];
}

export function parseCalendarFile(input: CalendarFileInput): CalendarFileResult {
  const collected: Collected = { entries: [], problems: [] };
  if (input.format === 'yaml') readYaml(input.text, collected);
  else readIcs(input.text, collected);
  if (collected.problems.length > 0) return { ok: false, problems: collected.problems };
  return { ok: true, calendar: buildCalendar(input, collected.entries) };
}

/** One entry per date, sorted; the first named entry of a date gives its name. */
function buildCalendar(input: CalendarFileInput, entries: readonly CalendarDate[]): Calendar {
  const byDate = new Map<string, CalendarDate>();
  for (const entry of entries) {
    const known = byDate.get(entry.date);
    if (!known || (known.name === undefined && entry.name !== undefined)) byDate.set(entry.date, entry);
  }
  const sorted = [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
  return {
    name: input.name,
    file: input.file,
    dates: new Set(sorted.map((entry) => entry.date)),
    entries: Object.freeze(sorted),
  };
}

function readYaml(text: string, out: Collected): void {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    for (const error of document.errors) out.problems.push({ path: '', message: firstLine(error.message) });
    return;
  }
  const root: unknown = document.toJS();
  // An empty file is an empty calendar: a team may keep the file with no holidays in it yet.
  if (root === null || root === undefined) return;
  if (Array.isArray(root)) return readYamlItems(root, '', out);
  if (!isRecord(root)) {
    out.problems.push({ path: '', message: 'expected a list of dates, or a mapping with "dates"' });
    return;
  }
  for (const key of Object.keys(root)) {
    if (key !== 'dates') out.problems.push({ path: key, message: `unknown key "${key}" (expected "dates")` });
  }
  if (!Array.isArray(root.dates)) {
    out.problems.push({ path: 'dates', message: 'expected a list of dates' });
    return;
  }
  readYamlItems(root.dates, 'dates', out);
}

function readYamlItems(items: readonly unknown[], prefix: string, out: Collected): void {
  items.forEach((item, index) => {
    const path = `${prefix}[${index}]`;
    if (typeof item === 'string' || item instanceof Date) {
      const date = readDate(item, path, out);
      if (date) out.entries.push({ date });
    } else if (isRecord(item) && 'date' in item) {
      readSingleDate(item, path, out);
    } else if (isRecord(item) && ('from' in item || 'to' in item)) {
      readRange(item, path, out);
    } else {
      out.problems.push({ path, message: 'expected "YYYY-MM-DD", {date, name} or {from, to, name}' });
    }
  });
}

function readSingleDate(item: Record<string, unknown>, path: string, out: Collected): void {
  checkKeys(item, ['date', 'name'], path, out);
  const date = readDate(item.date, `${path}.date`, out);
  const name = readName(item, path, out);
  if (date) out.entries.push(named(date, name));
}

function readRange(item: Record<string, unknown>, path: string, out: Collected): void {
  checkKeys(item, ['from', 'to', 'name'], path, out);
  const from = readDate(item.from, `${path}.from`, out);
  const to = readDate(item.to, `${path}.to`, out);
  const name = readName(item, path, out);
  if (!from || !to) return;
  const span = daysBetween(from, to) + 1;
  if (span < 1) {
    out.problems.push({ path: `${path}.to`, message: `"to" (${to}) is before "from" (${from})` });
  } else if (span > maxSpanDays) {
    out.problems.push({ path, message: `range of ${span} days is longer than ${maxSpanDays} days` });
  } else {
    for (let day = 0; day < span; day += 1) out.entries.push(named(addDays(from, day), name));
  }
}

function checkKeys(
  item: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  out: Collected,
): void {
  for (const key of Object.keys(item)) {
    if (!allowed.includes(key)) {
      const expected = allowed.map((name) => `"${name}"`).join(', ');
      out.problems.push({ path: `${path}.${key}`, message: `unknown key "${key}" (expected ${expected})` });
    }
  }
}

function readDate(value: unknown, path: string, out: Collected): string | null {
  // YAML 1.1 documents may turn unquoted dates into timestamps (midnight UTC): take their date back.
  const text = value instanceof Date ? value.toISOString().slice(0, 10) : value;
  if (value === undefined) {
    out.problems.push({ path, message: 'missing date "YYYY-MM-DD"' });
  } else if (typeof text !== 'string' || !isIsoDate(text)) {
    out.problems.push({
      path,
      message: `invalid date ${JSON.stringify(text)}: expected a real date "YYYY-MM-DD"`,
    });
  } else {
    return text;
  }
  return null;
}

function readName(item: Record<string, unknown>, path: string, out: Collected): string | undefined {
  if (item.name === undefined || typeof item.name === 'string') return item.name;
  out.problems.push({ path: `${path}.name`, message: 'expected a string' });
  return undefined;
}

function readIcs(text: string, out: Collected): void {
  let parsed: unknown;
  try {
    parsed = ICAL.parse(text);
  } catch (error) {
    out.problems.push({ path: '', message: `invalid iCalendar: ${reasonOf(error)}` });
    return;
  }
  // One component parses to ["vcalendar", ...]; several to a list of them; an empty file to [].
  const roots = Array.isArray(parsed) && Array.isArray(parsed[0]) ? parsed : [parsed];
  const events: ICAL.Component[] = [];
  for (const root of roots) {
    if (!Array.isArray(root) || root[0] !== 'vcalendar') {
      out.problems.push({ path: '', message: 'invalid iCalendar: expected BEGIN:VCALENDAR … END:VCALENDAR' });
      return;
    }
    events.push(...new ICAL.Component(root).getAllSubcomponents('vevent'));
  }
  events.forEach((component, index) => {
    try {
      readEvent(new ICAL.Event(component), out);
    } catch (error) {
      const summary = component.getFirstPropertyValue('summary');
      const label = typeof summary === 'string' && summary !== '' ? `event "${summary}": ` : '';
      out.problems.push({ path: `VEVENT[${index}]`, message: `${label}${reasonOf(error)}` });
    }
  });
}

function readEvent(event: ICAL.Event, out: Collected): void {
  const name = typeof event.summary === 'string' && event.summary !== '' ? event.summary : undefined;
  if (!event.component.hasProperty('dtstart')) throw new Error('missing DTSTART');
  const start = floating(event.startDate);
  const durationMs = floating(event.endDate) - start;
  if (durationMs < 0) throw new Error('DTEND is before DTSTART');
  if (durationMs > maxSpanDays * 86_400_000) throw new Error(`event is longer than ${maxSpanDays} days`);
  const starts = event.isRecurring() ? occurrences(event) : [start];
  for (const occurrence of starts) {
    for (const date of coveredDates(occurrence, durationMs)) out.entries.push(named(date, name));
  }
}

/** Occurrence starts (floating ms) until 2100, at most 4000; EXDATEs are left out. */
function occurrences(event: ICAL.Event): number[] {
  const starts: number[] = [];
  const iterator = event.iterator();
  for (let next = iterator.next(); next && starts.length < maxOccurrences; next = iterator.next()) {
    const start = floating(next);
    if (start >= recurrenceHorizon) break;
    starts.push(start);
  }
  return starts;
}

/** Dates touched by `[start, start + duration)`; a zero-length event touches its start date. */
function coveredDates(startMs: number, durationMs: number): string[] {
  const first = new Date(startMs).toISOString().slice(0, 10);
  const last = new Date(startMs + Math.max(durationMs - 1, 0)).toISOString().slice(0, 10);
  const dates: string[] = [];
  for (let date = first; date <= last; date = addDays(date, 1)) dates.push(date);
  return dates;
}

/** An iCalendar time's fields as a floating instant (UTC fields = the time as written, in its own zone). */
function floating(time: ICAL.Time): number {
  return Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second);
}

function named(date: string, name: string | undefined): CalendarDate {
  return name === undefined ? { date } : { date, name };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
