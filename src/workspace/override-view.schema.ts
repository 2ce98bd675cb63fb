/** The documented shape of an override as the API shows it (`OverrideView` in override.ts). */
import { z } from 'zod';
import { overrideKinds } from '../store/schema.ts';
import type { SameShape } from '../types/same-shape.d.ts';
import type { OverrideView } from './override.ts';

export const overrideViewSchema = z
  .object({
    id: z.string(),
    workspace: z.string(),
    kind: z.enum(overrideKinds),
    action: z.enum(['deploy', 'destroy']).nullable(),
    ends_at: z.string(),
    reason: z.string().nullable(),
    actor: z.string(),
    created_at: z.string(),
    state: z.enum(['active', 'expired', 'removed', 'consumed']),
    removed_at: z.string().nullable(),
    consumed_at: z.string().nullable(),
  })
  .meta({ id: 'Override' });

const _overrideViewMatches: SameShape<OverrideView, z.output<typeof overrideViewSchema>> = true;
