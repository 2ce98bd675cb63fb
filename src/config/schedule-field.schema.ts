import { z } from 'zod';
import { parseCron } from '../schedule/cron.ts';

/** Job triggers that are events rather than times. `@reboot` is the Provisioner's name for `@startup`. */
export const eventTriggers = [
  '@deployment',
  '@deployment-failed',
  '@destroy',
  '@destroy-failed',
  '@startup',
  '@reboot',
] as const;

export type EventTrigger = (typeof eventTriggers)[number];

export function isEventTrigger(value: string): value is EventTrigger {
  return (eventTriggers as readonly string[]).includes(value.trim());
}

// A fixed reference keeps validation a pure function; 28 years cover every weekday/leap-year combination.
const neverFiresProbe = new Date('2000-01-01T00:00:00Z');
const probeHorizon = new Date('2028-01-01T00:00:00Z');

/** The reason a cron expression is unusable, or null. Time zones don't change validity, so UTC is used. */
export function cronProblem(expression: string): string | null {
  const parsed = parseCron(expression, 'UTC');
  if (!parsed.ok) return `invalid cron expression "${expression}": ${parsed.error}`;
  const first = parsed.cron.next(neverFiresProbe);
  if (!first || first > probeHorizon) return `cron expression "${expression}" never fires`;
  return null;
}

function checkEntries(allowEvents: boolean) {
  return (value: string | string[] | false, ctx: z.RefinementCtx) => {
    if (value === false) return;
    const entries = typeof value === 'string' ? [value] : value;
    entries.forEach((entry, index) => {
      const path = typeof value === 'string' ? [] : [index];
      if (entry.trim().startsWith('@') && isEventTrigger(entry)) {
        if (!allowEvents) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `"${entry}" is a job event trigger; workspace schedules take cron expressions`,
          });
        }
        return;
      }
      const problem = cronProblem(entry);
      if (problem) ctx.addIssue({ code: 'custom', path, message: problem });
    });
  };
}

const scheduleShape = z.union([z.string(), z.array(z.string()), z.literal(false)], {
  error: 'expected a cron expression, a list of cron expressions, or false (never)',
});

/** A workspace schedule: one cron expression, several (any fires), or `false` for never. */
export const cronScheduleSchema = scheduleShape.superRefine(checkEntries(false));

/** A job schedule: cron expressions and/or event triggers such as `@deployment`. */
export const jobScheduleSchema = z
  .union([z.string(), z.array(z.string())], {
    error: 'expected a cron expression or event trigger, or a list of them',
  })
  .superRefine((value, ctx) => checkEntries(true)(value, ctx));

/** Normalises a schedule value to a list of entries (`false` → none). */
export function scheduleEntries(value: string | string[] | false | undefined): string[] {
  if (value === undefined || value === false) return [];
  return (typeof value === 'string' ? [value] : value).map((entry) => entry.trim());
}
