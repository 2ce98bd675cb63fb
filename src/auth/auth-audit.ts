/**
 * Auth events in the audit log (SPEC §7). Recording never changes the outcome: a failed audit write is
 * logged at error level, because refusing a login or a revocation over it would lock people out (or
 * keep a leaked token alive) when the database hiccups.
 */
import type { AuditEntryInput, AuditRecorder } from '../audit/audit-entry.ts';
import type { Logger } from '../log/logger.ts';

/** Where a request came from, for the audit log. */
export interface RequestContext {
  readonly sourceIp: string | null;
  readonly requestId: string | null;
}

export type AuthEvent = Omit<AuditEntryInput, 'sourceIp' | 'requestId'>;

export async function recordAuthEvent(
  deps: { readonly audit: AuditRecorder; readonly logger: Pick<Logger, 'error'> },
  context: RequestContext,
  event: AuthEvent,
): Promise<void> {
  const entry: AuditEntryInput = { ...event, sourceIp: context.sourceIp, requestId: context.requestId };
  try {
    await deps.audit.record(entry);
  } catch (error) {
    deps.logger.error({ err: error, audit: entry }, 'could not write the audit log entry');
  }
}
