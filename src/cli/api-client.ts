/**
 * The CLI's side of the HTTP API: JSON in and out, API errors turned back into TideErrors (so the exit
 * code comes from the same catalogue as the server's status), a refused connection reported as
 * "not reachable" rather than a stack trace, and credentials (credentials.ts) on every request.
 */
import { errorCatalogue, type ErrorCode } from '../errors/error-codes.ts';
import { TideError } from '../errors/tide-error.ts';
import {
  credentialsPath,
  storedAuth,
  staticTokenAuth,
  type ClientAuth,
  type TokenAnswer,
} from './credentials.ts';
import { loadEnv } from './settings.ts';

export type Query = Record<string, string | number | boolean | undefined>;

/** Plain requests give up after this long; followed logs have no limit (a deploy can take an hour). */
const REQUEST_TIMEOUT_MS = 30_000;
const PAGE_LIMIT = 500;

export class ApiClient {
  readonly baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #auth: ClientAuth | undefined;

  constructor(baseUrl: string, fetchImpl: typeof fetch = fetch, auth?: ClientAuth) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#fetch = fetchImpl;
    this.#auth = auth;
  }

  async get<T>(path: string, query: Query = {}): Promise<T> {
    return json<T>(await this.#send('GET', path, query, undefined, true));
  }

  async post<T>(path: string, body: object = {}): Promise<T> {
    return json<T>(await this.#send('POST', path, {}, body, true));
  }

  async patch<T>(path: string, body: object): Promise<T> {
    return json<T>(await this.#send('PATCH', path, {}, body, true));
  }

  /** For routes that answer 204 (a global secret's value). */
  async put(path: string, body: object): Promise<void> {
    await this.#send('PUT', path, {}, body, true);
  }

  async delete(path: string): Promise<void> {
    await this.#send('DELETE', path, {}, undefined, true);
  }

  /** Every item of a paginated list, following next_cursor to the end. */
  async getAll<T>(path: string, query: Query = {}): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: T[]; next_cursor: string | null } = await this.get(path, {
        ...query,
        limit: PAGE_LIMIT,
        cursor: cursor ?? undefined,
      });
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor !== null);
    return items;
  }

  /** Reads a streamed text response, handing over each decoded piece; resolves when the server ends it. */
  async stream(path: string, query: Query, onText: (text: string) => void): Promise<void> {
    const response = await this.#send('GET', path, query, undefined, false);
    if (!response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const bytes of response.body) onText(decoder.decode(bytes as Uint8Array, { stream: true }));
    } catch (error) {
      throw new TideError(
        'unreachable',
        `lost the connection to Tide at ${this.baseUrl} while reading ${path}`,
        {
          cause: error,
        },
      );
    }
    const rest = decoder.decode();
    if (rest !== '') onText(rest);
  }

  /** Sends with credentials; a 401 gets one retry after the credentials are renewed (a refresh). */
  async #send(
    method: Method,
    path: string,
    query: Query,
    body: object | undefined,
    timeout: boolean,
  ): Promise<Response> {
    const attempt = async () => {
      const authorization = await this.#auth?.header();
      return this.#request(method, path, query, body, authorization, timeout);
    };
    let response = await attempt();
    if (response.status === 401 && (await this.#auth?.renew())) {
      await response.body?.cancel();
      response = await attempt();
    }
    if (response.ok) return response;
    const error = await apiError(response);
    if (response.status === 401 && this.#auth && error.code === 'unauthenticated')
      throw new TideError('unauthenticated', this.#auth.hint, { details: { server_message: error.message } });
    throw error;
  }

  async #request(
    method: Method,
    path: string,
    query: Query,
    body: object | undefined,
    authorization: string | undefined,
    timeout: boolean,
  ): Promise<Response> {
    const signal = timeout ? AbortSignal.timeout(REQUEST_TIMEOUT_MS) : undefined;
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(key, String(value));
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(authorization ? { authorization } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        throw new TideError(
          'unreachable',
          `Tide at ${this.baseUrl} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`,
        );
      }
      throw new TideError(
        'unreachable',
        `Tide is not reachable at ${this.baseUrl} (is \`tide serve\` running?)`,
        {
          details: { url: url.toString(), cause: causeCode(error) },
          cause: error,
        },
      );
    }
    return response;
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** 204 No Content has no body to parse. */
async function json<T>(response: Response): Promise<T> {
  return (response.status === 204 ? undefined : await response.json()) as T;
}

type Environment = Readonly<Record<string, string | undefined>>;

/** The server a command talks to: `--url` if given, else TIDE_URL (default http://127.0.0.1:8080). */
export function serverUrl(options: { url?: string }, env: Environment): string {
  if (options.url === undefined) return loadEnv(env).TIDE_URL;
  if (!/^https?:\/\/[^/]/.test(options.url) || !URL.canParse(options.url)) {
    throw new TideError('invalid_argument', `--url must be an http:// or https:// URL, got "${options.url}"`);
  }
  return options.url;
}

/**
 * The client for a command, authenticated with TIDE_TOKEN if set, else with what `tide login` saved
 * for that server (refreshed as needed), else not at all (the server's 401 says to log in).
 */
export function clientFor(options: { url?: string }, env: Environment): ApiClient {
  const url = serverUrl(options, env);
  const token = loadEnv(env).TIDE_TOKEN;
  if (token !== undefined) return new ApiClient(url, fetch, staticTokenAuth(token));
  return new ApiClient(
    url,
    fetch,
    storedAuth(url, (refreshToken) => refreshTokens(url, refreshToken), { file: credentialsPath(env) }),
  );
}

/** One refresh-token exchange, without credentials; null when the server refuses it (session over). */
export async function refreshTokens(url: string, refreshToken: string): Promise<TokenAnswer | null> {
  try {
    return await new ApiClient(url).post<TokenAnswer>('/api/v1/auth/refresh', {
      refresh_token: refreshToken,
    });
  } catch (error) {
    if (error instanceof TideError && error.code === 'unauthenticated') return null;
    throw error;
  }
}

/** The API's `{"error": {code, message, details}}` as a TideError; a body that isn't one falls back on the status. */
async function apiError(response: Response): Promise<TideError> {
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
    ?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    const code = Object.hasOwn(errorCatalogue, error.code)
      ? (error.code as ErrorCode)
      : codeForStatus(response.status);
    return new TideError(code, error.message, { details: error.details });
  }
  return new TideError(codeForStatus(response.status), `HTTP ${response.status} from ${response.url}`);
}

/** For errors from a newer server (a code this CLI does not know) or from a proxy in front of Tide. */
function codeForStatus(status: number): ErrorCode {
  if (status === 400) return 'invalid_argument';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 503) return 'not_ready';
  return 'internal';
}

function causeCode(error: unknown): string | null {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : null;
}
