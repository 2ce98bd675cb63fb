/**
 * The documented shape of a template as the API shows it (`TemplateView` in template.service.ts): the
 * OpenAPI response schema of the template routes and the source of the dashboard's generated `Template`.
 */
import { z } from 'zod';
import type { SameShape } from '../types/same-shape.d.ts';
import type { TemplateView } from './template.service.ts';

export const templateViewSchema = z
  .object({
    name: z.string(),
    url: z.string(),
    ref: z.string(),
    subdir: z.string(),
    commit: z.string(),
    content_hash: z.string(),
    description: z.string(),
    credential_secret: z.string().nullable(),
    created_at: z.string(),
    created_by: z.string(),
    refreshed_at: z.string(),
    refreshed_by: z.string(),
    used_by: z.array(z.string()),
  })
  .meta({ id: 'Template' });

const _templateViewMatches: SameShape<TemplateView, z.output<typeof templateViewSchema>> = true;
