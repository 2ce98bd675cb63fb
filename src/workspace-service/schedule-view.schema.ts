/**
 * The documented shapes of a workspace's schedule preview (`WorkspaceService.schedule`, preview.ts) and
 * of its firing ledger (firing.repo.ts): the OpenAPI response schemas of `GET …/schedule` and
 * `GET …/firings` and the source of the dashboard's generated `Schedule` and `LedgerFiring` types.
 */
import { z } from 'zod';
import type { Firing } from '../schedule/firing.repo.ts';
import type { SchedulePreview } from '../schedule/preview.ts';
import { firingOutcomes, overrideKinds } from '../store/schema.ts';
import type { SameShape } from '../types/same-shape.d.ts';
import type { DeclaredChain } from '../workspace-dependency/dependency-chain.ts';

const scheduleFiringSchema = z
  .object({
    schedule_key: z.string(),
    action: z.enum(['deploy', 'destroy', 'plan', 'job']),
    mode: z.string().optional(),
    job: z.string().optional(),
    scheduled_at: z.string(),
    local_time: z.string(),
    skipped: z.enum(['calendar', 'override']).optional(),
    override_id: z.string().optional(),
  })
  .meta({ id: 'ScheduleFiring' });

const scheduleOverrideSchema = z
  .object({
    id: z.string(),
    kind: z.enum(overrideKinds),
    action: z.enum(['deploy', 'destroy']).nullable(),
    start: z.string(),
    end: z.string(),
    local_start: z.string(),
    local_end: z.string(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'ScheduleOverride' });

const timelineSegmentSchema = z
  .object({
    start: z.string(),
    end: z.string(),
    local_start: z.string(),
    local_end: z.string(),
    state: z.enum(['up', 'down', 'none']),
    mode: z.string().optional(),
    reason: z.string(),
  })
  .meta({ id: 'TimelineSegment' });

const declaredChainSchema = z
  .object({ deploy: z.array(z.string()), destroy: z.array(z.string()) })
  .meta({ id: 'DeclaredChain' });

export const scheduleViewSchema = z
  .object({
    workspace: z.string(),
    timezone: z.string(),
    from: z.string(),
    until: z.string(),
    firings: z.array(scheduleFiringSchema),
    firings_truncated: z.literal(true).optional(),
    timeline: z.array(timelineSegmentSchema),
    timeline_truncated: z.literal(true).optional(),
    overrides: z.array(scheduleOverrideSchema).optional(),
    dependencies: declaredChainSchema,
  })
  .meta({ id: 'Schedule' });

export const ledgerFiringSchema = z
  .object({
    id: z.number().int(),
    workspace: z.string(),
    schedule_key: z.string(),
    action: z.string(),
    mode: z.string().nullable(),
    scheduled_at: z.string(),
    outcome: z.enum(firingOutcomes),
    reason: z.string().nullable(),
    run_id: z.string().nullable(),
    recorded_at: z.string(),
  })
  .meta({ id: 'LedgerFiring' });

const _scheduleViewMatches: SameShape<
  SchedulePreview & { readonly dependencies: DeclaredChain },
  z.output<typeof scheduleViewSchema>
> = true;
const _ledgerFiringMatches: SameShape<Firing, z.output<typeof ledgerFiringSchema>> = true;
