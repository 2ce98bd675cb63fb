/**
 * The documented shape of the savings report as the API shows it (`SavingsView` in savings.service.ts):
 * the OpenAPI response schema of `GET /savings` and the source of the dashboard's generated `Savings`.
 */
import { z } from 'zod';
import type { SameShape } from '../types/same-shape.d.ts';
import type { SavingsView } from './savings.service.ts';
import { savingsBuckets } from './savings.ts';

const bucketFigureSchema = z
  .object({ start: z.string(), end: z.string(), down_hours: z.number(), saved: z.number() })
  .meta({ id: 'SavingsBucket' });

export const savingsViewSchema = z
  .object({
    since: z.string(),
    until: z.string(),
    bucket: z.enum(savingsBuckets),
    workspaces: z.array(
      z.object({
        workspace: z.string(),
        hourly_cost: z.number(),
        down_hours: z.number(),
        saved: z.number(),
        buckets: z.array(bucketFigureSchema),
      }),
    ),
    total: z.object({ down_hours: z.number(), saved: z.number(), buckets: z.array(bucketFigureSchema) }),
    /** Workspaces without an `hourly_cost`, left out of the figures. */
    excluded: z.array(z.string()),
  })
  .meta({ id: 'Savings' });

const _savingsViewMatches: SameShape<SavingsView, z.output<typeof savingsViewSchema>> = true;
