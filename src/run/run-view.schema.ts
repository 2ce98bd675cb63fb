/**
 * The documented shape of a run as the API shows it (run-view.ts): the OpenAPI response schema of the
 * run routes and the source of the dashboard's generated `Run` type.
 */
import { z } from 'zod';
import type { SameShape } from '../types/same-shape.d.ts';
import { runActions, runStates, runTriggers } from './run-state.ts';
import type { RunView } from './run-view.ts';

export const planSummarySchema = z
  .object({ add: z.number().int(), change: z.number().int(), destroy: z.number().int() })
  .meta({ id: 'PlanSummary' });

export const runViewSchema = z
  .object({
    id: z.string(),
    workspace: z.string(),
    job: z.string().nullable(),
    action: z.enum(runActions),
    mode: z.string().nullable(),
    state: z.enum(runStates),
    trigger: z.enum(runTriggers),
    actor: z.string().nullable(),
    attempt: z.number().int(),
    retry_of: z.string().nullable(),
    firing_id: z.number().int().nullable(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    exit_code: z.number().int().nullable(),
    reason: z.string().nullable(),
    plan_summary: planSummarySchema.nullable(),
    outputs: z.record(z.string(), z.unknown()).nullable(),
    not_before: z.string().nullable(),
    cancel_requested_at: z.string().nullable(),
    config_hash: z.string().nullable(),
  })
  .meta({ id: 'Run' });

const _runViewMatches: SameShape<RunView, z.output<typeof runViewSchema>> = true;
