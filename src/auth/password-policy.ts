/**
 * The one password policy (SPEC §7), applied on every path that sets a password: user creation, a
 * user's own change, an admin's reset and the bootstrap admin. NIST SP 800-63B style: length over
 * composition rules, and no password that attackers try first.
 *
 * "Common" is checked on the password and on what remains once the usual disguises are taken off:
 * case, digits and symbols stuck to either end (`Password2024!`), letter-to-symbol swaps (`p@ssw0rd`)
 * and repetition (`qwertyqwerty`) — a list entry dressed up that way is found by the first guesses of
 * any cracking tool, however long it is.
 */
import { readFileSync } from 'node:fs';
import { TideError } from '../errors/tide-error.ts';

export const PASSWORD_MIN_LENGTH = 12;
/** argon2 accepts more, but a longer "password" is a paste accident or an attempt to burn CPU. */
export const PASSWORD_MAX_LENGTH = 256;

let common: ReadonlySet<string> | undefined;

/** Loaded on first use: 10,000 lines read once per process. */
function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
  return common;
}

const LEET: Readonly<Record<string, string>> = {
  '@': 'a',
  '4': 'a',
  '8': 'b',
  '3': 'e',
  '1': 'i',
  '!': 'i',
  '0': 'o',
  $: 's',
  '5': 's',
  '7': 't',
};

function unleet(text: string): string {
  return [...text].map((char) => LEET[char] ?? char).join('');
}

/**
 * The text with digits and symbols taken off its start, its end, or both: `123password!!` gives
 * `password`, `password!!`, `123password` …; `123456789012` gives `123456789`.
 */
function strippedForms(text: string): string[] {
  // A `*` run always matches, if only the empty string.
  const lead = /^[^a-z]*/.exec(text)![0].length;
  const trail = text.length - /[^a-z]*$/.exec(text)![0].length;
  const forms: string[] = [];
  for (let end = Math.max(trail, 1); end <= text.length; end++) forms.push(text.slice(0, end));
  for (let start = 0; start <= Math.min(lead, text.length - 1); start++) forms.push(text.slice(start));
  forms.push(text.slice(lead, Math.max(lead, trail)));
  return forms;
}

/** The shortest unit the text repeats (`abcabcabc` → `abc`), or the text itself. */
function period(text: string): string {
  for (let size = 1; size <= text.length / 2; size++) {
    // repeat() drops a fraction, so a unit that does not divide the text cannot rebuild it.
    if (text.slice(0, size).repeat(text.length / size) === text) return text.slice(0, size);
  }
  return text;
}

function isCommon(password: string): boolean {
  const list = commonPasswords();
  const lower = password.toLowerCase();
  // Swaps are read both after and before stripping: `sun5hine2024` must lose its year before `5` is
  // read as `s` (read first, the year becomes `2o2a`), and `2@pple2` must read `@` as `a` before its
  // digits come off.
  const forms = strippedForms(lower);
  const candidates = new Set([...forms, ...forms.map(unleet), ...strippedForms(unleet(lower))]);
  for (const candidate of candidates) if (list.has(candidate)) return true;
  // `111111111111`, `qwertyqwerty`: fewer repetitions of its unit than the text has (the text itself
  // was a candidate above) that the list knows.
  const unit = period(lower);
  for (let times = 1; unit.length * times < lower.length; times++) {
    if (list.has(unit.repeat(times))) return true;
  }
  return false;
}

/** Every reason `password` is refused for `username`, for people (empty when acceptable). */
export function passwordProblems(password: string, username: string): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) problems.push(`must be at least ${PASSWORD_MIN_LENGTH} characters`);
  if (length > PASSWORD_MAX_LENGTH) problems.push(`must be at most ${PASSWORD_MAX_LENGTH} characters`);
  if (password.toLowerCase() === username.toLowerCase()) problems.push('must not be the username');
  else if (length <= PASSWORD_MAX_LENGTH && isCommon(password))
    problems.push('is too common: it is, or is built from, one of the most used passwords');
  return problems;
}

/** Throws `validation_failed` naming every problem at `field` (e.g. `body.password`). */
export function assertPasswordAcceptable(password: string, username: string, field = 'body.password'): void {
  const problems = passwordProblems(password, username);
  if (problems.length === 0) return;
  throw new TideError('validation_failed', `the password ${problems.join('; ')}`, {
    details: { problems: problems.map((message) => ({ path: field, message: `password ${message}` })) },
  });
}
