import { z } from 'zod';
import { parseDuration } from '../time/duration.ts';
import { isValidTimeZone } from '../schedule/zoned-time.ts';
import { nameRule, namePattern, variableNamePattern } from './names.ts';

export const nameSchema = z
  .string()
  .regex(namePattern, { error: (issue) => `invalid name "${String(issue.input)}": use ${nameRule}` });

export const durationSchema = z
  .string()
  .describe('A duration such as "90s", "30m", "1h30m" or "2d".')
  .superRefine((value, ctx) => {
    const parsed = parseDuration(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
  });

export const timeZoneSchema = z
  .string()
  .describe('An IANA time zone such as "Europe/Paris" or "UTC".')
  .superRefine((value, ctx) => {
    if (!isValidTimeZone(value)) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown time zone "${value}" (use an IANA name such as "Europe/Paris")`,
      });
    }
  });

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

const jsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValueSchema),
    z.record(z.string(), jsonValueSchema),
  ]),
);

export const variablesSchema = z
  .record(
    z.string().regex(variableNamePattern, {
      error: (issue) => `invalid variable name "${String(issue.input)}": use letters, digits, "_" and "-"`,
    }),
    jsonValueSchema,
  )
  .describe('OpenTofu input variables, written to tide.auto.tfvars.json.');

export const environmentSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
    error: (issue) => `invalid environment variable name "${String(issue.input)}"`,
  }),
  z.string(),
);
