import { TideError } from '../errors/tide-error.ts';

/** What a plan would change, as `show -json` counts it; a run keeps it as its `plan_summary`. */
export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
}

interface ShowJson {
  resource_changes?: { address?: unknown; change?: { actions?: unknown } }[];
}

const changing = ['create', 'delete', 'update'];

/**
 * Counts a plan's resource changes from `show -json <planfile>`, as the engine's own "Plan: N to add…"
 * line does: a replacement (`["delete","create"]` or `["create","delete"]`) counts as one add and one
 * destroy; `no-op`, `read` and `forget` change nothing.
 */
export function parsePlanSummary(showJson: string): PlanSummary {
  const plan = parseJson<ShowJson>(showJson, 'show -json');
  const summary: PlanSummary = { add: 0, change: 0, destroy: 0 };
  for (const resource of plan.resource_changes ?? []) {
    const actions = resource.change?.actions;
    if (!Array.isArray(actions)) continue;
    if (actions.includes('create')) summary.add++;
    if (actions.includes('delete')) summary.destroy++;
    if (actions.includes('update')) summary.change++;
  }
  return summary;
}

/**
 * The addresses of the resources a plan would change (`show -json <planfile>`), in the engine's order:
 * what a drift check reports. Counted like parsePlanSummary: `no-op`, `read` and `forget` change nothing.
 */
export function changedAddresses(showJson: string): string[] {
  const plan = parseJson<ShowJson>(showJson, 'show -json');
  return (plan.resource_changes ?? []).flatMap((resource) => {
    const actions = resource.change?.actions;
    const changes = Array.isArray(actions) && actions.some((action) => changing.includes(String(action)));
    return changes && typeof resource.address === 'string' ? [resource.address] : [];
  });
}

/**
 * The plan summary from one line of the engine's human plan output: `Plan: 1 to add, 0 to change, 0 to
 * destroy.` (OpenTofu and Terraform, with `, N to import` or `, N to forget` after it on some versions) or
 * `No changes.` (an empty plan, a destroy of nothing). Counted as the engine counts, the same figures as
 * parsePlanSummary. Null for any other line.
 */
export function planSummaryLine(line: string): PlanSummary | null {
  if (/^No changes\./.test(line)) return { add: 0, change: 0, destroy: 0 };
  const match = /^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\b/.exec(line);
  if (!match) return null;
  return { add: Number(match[1]), change: Number(match[2]), destroy: Number(match[3]) };
}

export function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new TideError('internal', `${what} did not print valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
