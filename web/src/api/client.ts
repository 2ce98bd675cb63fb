/**
 * The one HTTP client of the dashboard: openapi-fetch typed by schema.d.ts (generated from the server's
 * OpenAPI document). The browser session lives in httpOnly cookies the page cannot read; what the page
 * adds is the CSRF double submit (the readable `tide_csrf` cookie echoed in X-CSRF-Token on unsafe
 * methods, src/http/session-cookies.ts). An access cookie expires after 15 minutes: a 401 triggers one
 * refresh of the session, then the request is sent again once.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';
import { ApiError, type ErrorBody } from './errors';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function csrfToken(): string | null {
  const match = /(?:^|;\s*)tide_csrf=([^;]*)/.exec(document.cookie);
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}

const csrf: Middleware = {
  onRequest({ request }) {
    const token = csrfToken();
    if (UNSAFE.has(request.method) && token) request.headers.set('x-csrf-token', token);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(csrf);

/** One refresh at a time, shared by every request that found its access cookie expired. */
let refreshing: Promise<boolean> | null = null;

export function refreshSession(): Promise<boolean> {
  // The readable CSRF cookie lives as long as the refresh cookie: without it there is no session to
  // renew, and asking anyway would spend the per-address budget of the auth routes (10 a minute).
  if (!csrfToken()) return Promise.resolve(false);
  refreshing ??= api
    .POST('/api/v1/auth/refresh', { body: {} })
    .then(({ response }) => response.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

interface FetchResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/**
 * Sends a request (a function calling `api`), refreshing the session once on 401, and returns its body
 * as `T` or throws an ApiError with the server's code, message and request id. The OpenAPI document
 * describes requests, not answers: `T` comes from ./types.ts, written from docs/api.md.
 */
export async function call<T>(send: () => Promise<FetchResult>, retry = true): Promise<T> {
  let result: FetchResult;
  try {
    result = await send();
  } catch (cause) {
    throw new ApiError(0, 'network', `the server could not be reached (${String(cause)})`, null);
  }
  const { response } = result;
  if (response.status === 401 && retry && (await refreshSession())) return call(send, false);
  if (!response.ok) throw ApiError.from(response, result.error as ErrorBody | undefined);
  return result.data as T;
}
