/**
 * The documented shape of a job as the API shows it (`JobView` in job.service.ts): the OpenAPI response
 * schema of the job routes and the source of the dashboard's generated `Job` type.
 */
import { z } from 'zod';
import { runViewSchema } from '../run/run-view.schema.ts';
import type { SameShape } from '../types/same-shape.d.ts';
import type { JobView } from './job.service.ts';

export const jobViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    workspace: z.string().nullable(),
    standalone: z.boolean(),
    type: z.enum(['script', 'command', 'template']),
    description: z.string(),
    enabled: z.boolean(),
    schedules: z.array(z.string()),
    events: z.array(z.string()),
    depends_on: z.array(z.string()),
    template: z.string().nullable(),
    working_dir: z.string().nullable(),
    timeout_seconds: z.number().int(),
    retries: z.number().int(),
    file: z.string(),
    last_run: runViewSchema.nullable(),
  })
  .meta({ id: 'Job' });

const _jobViewMatches: SameShape<JobView, z.output<typeof jobViewSchema>> = true;
