/** The few auth failures, each with one fixed message: the wording must not tell an attacker anything. */
import { TideError } from '../errors/tide-error.ts';

/** Unknown user, wrong password, disabled or locked account: one answer for all (SPEC §7). */
export function invalidCredentials(): TideError {
  return new TideError('invalid_credentials', 'invalid username or password');
}

export function unauthenticated(
  message = 'authentication required: send Authorization: Bearer <token>',
): TideError {
  return new TideError('unauthenticated', message);
}

export function forbidden(message: string, details?: Readonly<Record<string, unknown>>): TideError {
  return new TideError('forbidden', message, details ? { details } : {});
}
