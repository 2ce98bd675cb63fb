import { errorCatalogue, type ErrorCode } from './error-codes.ts';

/** An error Tide expects and can explain: a stable code, a message for people, optional details for tools. */
export class TideError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'TideError';
    this.code = code;
    this.details = options.details;
  }

  get httpStatus(): number {
    return errorCatalogue[this.code].status;
  }

  get exitCode(): number {
    return errorCatalogue[this.code].exitCode;
  }

  /** The body of an HTTP error response: `{"error": {"code", "message", "details"?}}`. */
  toBody(): { error: { code: ErrorCode; message: string; details?: unknown } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

/** Normalises anything thrown into a TideError; unknown failures become `internal`. */
export function toTideError(error: unknown): TideError {
  if (error instanceof TideError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TideError('internal', message, { cause: error });
}
