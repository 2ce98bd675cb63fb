/**
 * `tide doctor --url`: what a running server says of itself at `GET /api/health/ready` — 200 with
 * `{status, checks}` when ready, 503 `not_ready` with the checks in the error's details when not.
 */

export interface ServerCheck {
  readonly ok: boolean;
  readonly detail?: string;
}

export type ServerReadiness =
  | { ok: true; readiness: { ok: boolean; checks: Readonly<Record<string, ServerCheck>> } }
  | { ok: false; error: string };

const TIMEOUT_MS = 10_000;

export async function serverReadiness(baseUrl: string): Promise<ServerReadiness> {
  let url: URL;
  try {
    url = new URL('api/health/ready', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  } catch {
    return { ok: false, error: `${baseUrl} is not a URL` };
  }
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    return { ok: false, error: `cannot reach ${url.href}: ${cause ?? (error as Error).message}` };
  }
  const body: unknown = await response.json().catch(() => null);
  const checks = checksOf(
    response.status === 200 ? body : (body as { error?: { details?: unknown } } | null)?.error?.details,
  );
  if (checks === null)
    return {
      ok: false,
      error: `${url.href} answered ${response.status} without readiness checks: is it a Tide server?`,
    };
  return { ok: true, readiness: { ok: response.status === 200, checks } };
}

function checksOf(value: unknown): Record<string, ServerCheck> | null {
  const checks = (value as { checks?: unknown } | null | undefined)?.checks;
  if (typeof checks !== 'object' || checks === null) return null;
  const result: Record<string, ServerCheck> = {};
  for (const [name, check] of Object.entries(checks as Record<string, unknown>)) {
    const { ok, detail } = (check ?? {}) as { ok?: unknown; detail?: unknown };
    result[name] = { ok: ok === true, ...(typeof detail === 'string' ? { detail } : {}) };
  }
  return result;
}
