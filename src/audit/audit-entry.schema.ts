/**
 * The documented shape of an audit log entry as the API shows it (`AuditEntry` in audit.ts): the OpenAPI
 * response schema of `GET /audit` and the source of the dashboard's generated `AuditEntry` type.
 */
import { z } from 'zod';
import { auditResults } from '../store/schema.ts';
import type { SameShape } from '../types/same-shape.d.ts';
import type { AuditEntry } from './audit.ts';

export const auditEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string().nullable(),
    result: z.enum(auditResults),
    source_ip: z.string().nullable(),
    request_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEntry' });

const _auditEntryMatches: SameShape<AuditEntry, z.output<typeof auditEntrySchema>> = true;
