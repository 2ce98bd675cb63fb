import { z } from 'zod';
import { parseCron } from '../schedule/cron.ts';
import { nameSchema } from './common.schema.ts';

const clockTime = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;

/** `days` uses cron's day-of-week syntax: names, ranges and lists (`mon-fri`, `sat,sun`, `*`). */
export function daysProblem(days: string): string | null {
  const parsed = parseCron(`0 0 * * ${days}`, 'UTC');
  return parsed.ok
    ? null
    : `invalid days "${days}": use names, ranges and lists such as "mon-fri" or "sat,sun"`;
}

export const uptimeWindowSchema = z
  .strictObject({
    days: z.string().optional().describe('Days the window opens, e.g. `mon-fri` (default: every day).'),
    from: z
      .string()
      .regex(clockTime, { error: 'expected a time "HH:MM"' })
      .describe('Local opening time, `HH:MM`.'),
    to: z
      .string()
      .regex(clockTime, { error: 'expected a time "HH:MM" or "24:00"' })
      .describe('Local closing time, `HH:MM` or `24:00`; earlier than `from` means the next day.'),
    mode: nameSchema.optional().describe('Mode to be up in during this window.'),
  })
  .superRefine((window, ctx) => {
    if (window.days !== undefined) {
      const problem = daysProblem(window.days);
      if (problem) ctx.addIssue({ code: 'custom', path: ['days'], message: problem });
    }
    if (window.from === window.to) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: '"to" equals "from": the window would be empty',
      });
    }
  });

export type UptimeWindowConfig = z.infer<typeof uptimeWindowSchema>;
