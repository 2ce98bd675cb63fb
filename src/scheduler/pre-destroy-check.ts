/**
 * The pre-destroy check (docs/ttl.md): asked before a scheduled, window or TTL destroy fires. A command
 * passes when it exits 0 (run as environment health checks and switch actions are: an argv without a
 * shell, the allowlisted run environment, its process group killed at the timeout); an HTTP check on a 2xx
 * answer to a GET, redirects not followed (a check cannot be bounced to another address). Only what the
 * configuration names is contacted: the URL is the operator's, like a health check's.
 */
import type { PreDestroyCheck } from '../config/config-model.ts';
import { runCommand } from '../environment/switch-command.ts';

export interface PreDestroyCheckResult {
  readonly ok: boolean;
  /** Short, for the firing's reason: `exit 3`, `GET https://… → 503`, `no answer within 30000 ms`. */
  readonly detail: string;
}

export type PreDestroyChecker = (check: PreDestroyCheck) => Promise<PreDestroyCheckResult>;

const detailLimit = 200;

export function preDestroyChecker(env: Readonly<Record<string, string>>): PreDestroyChecker {
  return async (check) => {
    const result = check.command
      ? await checkCommand(check, check.command, env)
      : await checkHttp(check, check.http!);
    return { ok: result.ok, detail: result.detail.slice(0, detailLimit) };
  };
}

async function checkCommand(
  check: PreDestroyCheck,
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<PreDestroyCheckResult> {
  const result = await runCommand(argv, { env, timeoutMs: check.timeoutMs });
  if (result.ok) return { ok: true, detail: `${argv[0]} → exit 0` };
  const last = result.output.trim().replace(/^[\s\S]*\n/, '');
  // Without an exit code, runCommand's output always ends with why (timed out, killed, not found).
  const status = result.exit_code === null ? last : `exit ${result.exit_code}`;
  return {
    ok: false,
    detail: `${argv[0]} → ${status}${result.exit_code !== null && last ? `: ${last}` : ''}`,
  };
}

async function checkHttp(check: PreDestroyCheck, url: string): Promise<PreDestroyCheckResult> {
  // Only the origin and path go into reasons: a query string may carry a token.
  const shown = (() => {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  })();
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(check.timeoutMs) });
    await response.body?.cancel();
    const ok = response.status >= 200 && response.status < 300;
    return { ok, detail: `GET ${shown} → ${response.status}` };
  } catch (error) {
    const cause =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${check.timeoutMs} ms`
        : ((error as { cause?: Error }).cause ?? (error as Error)).message;
    return { ok: false, detail: `GET ${shown} → ${cause}` };
  }
}

/** The reason a held destroy is recorded with. */
export const heldReason = (result: PreDestroyCheckResult) => `pre_destroy_check: ${result.detail}`;
