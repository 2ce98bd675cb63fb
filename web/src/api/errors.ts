/** An API failure as the page shows it: the stable code, the server's message and its request id. */
export interface ErrorBody {
  readonly error?: { readonly code?: string; readonly message?: string; readonly details?: unknown };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** X-Request-Id: what to quote when asking an operator to look in the server log. */
    readonly requestId: string | null,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static from(response: Response, body: ErrorBody | undefined): ApiError {
    const requestId = response.headers.get('x-request-id');
    const error = body?.error;
    return new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? `${response.status} ${response.statusText}`,
      requestId,
      error?.details,
    );
  }
}

export function isUnauthenticated(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}
