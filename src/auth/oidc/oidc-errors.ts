/**
 * Failures of the single sign-on flow: a TideError (so the API answers with the catalogue's status)
 * carrying the `reason` the audit log records — `state_mismatch`, `no_role`, `username_taken`, …
 */
import { TideError } from '../../errors/tide-error.ts';

/** An OIDC failure with the reason the audit log records. */
export function oidcFailure(
  code: 'oidc_failed' | 'oidc_unavailable' | 'forbidden' | 'conflict',
  reason: string,
  message: string,
  details: Readonly<Record<string, unknown>> = {},
  cause?: unknown,
): TideError {
  return new TideError(code, message, { details: { reason, ...details }, cause });
}

/** The audit reason of an error from the sign-in flow: what oidcFailure recorded, else the error code. */
export function failureReason(error: TideError): string {
  const details = error.details as { reason?: unknown } | undefined;
  return typeof details?.reason === 'string' ? details.reason : error.code;
}
