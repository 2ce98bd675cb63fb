/**
 * The documented shape of a workspace as the API shows it (workspace-view.ts): the OpenAPI response
 * schema of the workspace routes and the source of the dashboard's generated `Workspace` type.
 */
import { z } from 'zod';
import { planSummarySchema, runViewSchema } from '../run/run-view.schema.ts';
import { workspaceObservedStatuses } from '../store/schema.ts';
import type { SameShape } from '../types/same-shape.d.ts';
import { overrideViewSchema } from '../workspace/override-view.schema.ts';
import type { WorkspaceView } from './workspace-view.ts';

const nextFiringSchema = z
  .object({
    action: z.enum(['deploy', 'destroy', 'plan', 'job']),
    scheduled_at: z.string(),
    mode: z.string().optional(),
    job: z.string().optional(),
    schedule_key: z.string(),
  })
  .meta({ id: 'NextFiring' });

const driftSchema = z
  .object({
    checked_at: z.string(),
    since: z.string().nullable(),
    run_id: z.string().nullable(),
    summary: planSummarySchema.nullable(),
    addresses: z.array(z.string()),
  })
  .meta({ id: 'Drift' });

const ttlSchema = z
  .object({
    destroy_at: z.string(),
    ends_at: z.string(),
    extended_until: z.string().nullable(),
    run_id: z.string(),
    set_at: z.string(),
  })
  .meta({ id: 'WorkspaceTtl' });

export const workspaceViewSchema = z
  .object({
    name: z.string(),
    enabled: z.boolean(),
    status: z.enum(workspaceObservedStatuses),
    mode: z.string().nullable(),
    drifted: z.boolean(),
    drift: driftSchema.nullable(),
    description: z.string(),
    timezone: z.string().nullable(),
    template: z.string().nullable(),
    labels: z.record(z.string(), z.string()),
    modes: z.array(z.string()),
    protect: z.boolean(),
    next_firings: z.array(nextFiringSchema),
    overrides: z.array(overrideViewSchema),
    ttl: ttlSchema.nullable(),
    current_run: runViewSchema.nullable(),
    last_run: runViewSchema.nullable(),
    config_error: z.string().nullable(),
  })
  .meta({ id: 'Workspace' });

const _workspaceViewMatches: SameShape<WorkspaceView, z.output<typeof workspaceViewSchema>> = true;
