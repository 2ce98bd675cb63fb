/**
 * Records an API mutation in the audit log (SPEC §7): who (the principal, else `anonymous`), what, on
 * what, from where (source IP, request id), and whether it succeeded. Failures are recorded too, with
 * their error code: a refused destroy of a protected workspace is worth knowing about.
 */
import type { FastifyRequest } from 'fastify';
import type { AuditEntryInput, AuditRecorder } from '../audit/audit-entry.ts';
import { toTideError } from '../errors/tide-error.ts';
import { requestActor } from '../http/request-principal.ts';

export interface AuditedAction<T> {
  /** `<domain>.<verb>`, e.g. `workspace.deploy`. */
  readonly action: string;
  /** `workspace:web`, `run:<id>`. */
  readonly target: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /** Facts only known once it succeeded, e.g. the id of the queued run. */
  readonly detailsOf?: (value: T) => Readonly<Record<string, unknown>>;
}

export async function audited<T>(
  audit: AuditRecorder,
  request: FastifyRequest,
  what: AuditedAction<T>,
  fn: () => Promise<T>,
): Promise<T> {
  const base = {
    actor: requestActor(request),
    action: what.action,
    target: what.target,
    sourceIp: request.ip,
    requestId: request.id,
  };
  let value: T;
  try {
    value = await fn();
  } catch (error) {
    const details = { ...what.details, error: toTideError(error).code };
    await recordQuietly(audit, request, { ...base, result: 'failure', details });
    throw error;
  }
  await recordQuietly(audit, request, {
    ...base,
    result: 'success',
    details: { ...what.details, ...what.detailsOf?.(value) },
  });
  return value;
}

/**
 * The mutation has already happened (or failed) when this runs: failing the response because the audit
 * write failed would make a client retry a deploy that was queued. So the failure is logged loudly
 * instead, for the operator to notice the gap.
 */
async function recordQuietly(
  audit: AuditRecorder,
  request: FastifyRequest,
  entry: AuditEntryInput,
): Promise<void> {
  try {
    await audit.record(entry);
  } catch (error) {
    request.log.error({ err: error, audit: entry }, 'could not write the audit log entry');
  }
}
