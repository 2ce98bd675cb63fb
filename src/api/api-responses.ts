/**
 * The response schemas of routes whose answer is assembled in the route itself (the others live next to
 * their server types: run-view.schema.ts, workspace-view.schema.ts, override-view.schema.ts). Declared
 * in each route's `schemas.response`; the OpenAPI document and the dashboard's generated types come
 * from them, and api-responses.test.ts parses real answers with them.
 */
import { z } from 'zod';

/** A page of a newest-first listing (src/store/page.ts). */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

export function itemsOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}

export const meResponse = z
  .object({
    username: z.string(),
    role: z.enum(['admin', 'operator', 'viewer']),
    /** The principal's workspace patterns; null: every workspace. */
    workspaces: z.array(z.string()).nullable(),
    kind: z.enum(['user', 'api_token']),
    token: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
    via: z.enum(['bearer', 'cookie']),
  })
  .meta({ id: 'Me' });

export const uiConfigResponse = z
  .object({ version: z.string(), public_url: z.string().nullable(), oidc_enabled: z.boolean() })
  .meta({ id: 'UiConfig' });
