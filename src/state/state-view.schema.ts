/**
 * The documented shape of a workspace's state versions as the API shows them (`StateView` in
 * state.service.ts): the OpenAPI response schema of `GET /workspaces/{name}/state` and the source of the
 * dashboard's generated `StateVersions`.
 */
import { z } from 'zod';
import type { SameShape } from '../types/same-shape.d.ts';
import type { StateView } from './state.service.ts';

export const stateViewSchema = z
  .object({
    state_key: z.string(),
    total: z.number(),
    versions: z.array(
      z
        .object({
          serial: z.number(),
          lineage: z.string(),
          checksum: z.string().describe('SHA-256 of the content.'),
          size: z.number(),
          deleted: z.boolean().describe('The engine deleted the state here: no content.'),
          run_id: z.string().nullable(),
          written_by: z.string(),
          created_at: z.string(),
        })
        .meta({ id: 'StateVersion' }),
    ),
    lock: z
      .object({
        run_id: z.string(),
        since: z.string(),
        info: z.unknown().describe("The engine's lock info (operation, who), as the engine sent it."),
      })
      .nullable(),
  })
  .meta({ id: 'StateVersions' });

const _stateViewMatches: SameShape<StateView, z.output<typeof stateViewSchema>> = true;
