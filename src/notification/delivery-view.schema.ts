/**
 * The documented shape of one delivery-log entry as the API shows it (`DeliveryView` in outbox.repo.ts):
 * the OpenAPI response schema of `GET /notifications/deliveries` and the source of the dashboard's
 * generated `Delivery`.
 */
import { z } from 'zod';
import type { SameShape } from '../types/same-shape.d.ts';
import type { DeliveryView } from './outbox.repo.ts';

export const deliveryViewSchema = z
  .object({
    id: z.string(),
    outbox_id: z.string(),
    event: z.string(),
    workspace: z.string().nullable(),
    target: z.string(),
    target_type: z.string(),
    attempt: z.number(),
    outcome: z.string().describe('`delivered`, `retry` (will be tried again) or `failed` (given up).'),
    status_code: z.number().nullable(),
    error: z.string().nullable(),
    duration_ms: z.number(),
    created_at: z.string(),
  })
  .meta({ id: 'Delivery' });

const _deliveryViewMatches: SameShape<DeliveryView, z.output<typeof deliveryViewSchema>> = true;
