/**
 * When reminders before a destroy go out (docs/ttl.md): pure, from the destroy instant, the lead times and
 * the leads already sent. A reminder is due from `destroyAt - lead` until the destroy. When several leads
 * have passed (a 1 h TTL with a 2 h lead, or Tide down over a lead's instant) only the nearest one goes
 * out: a late "2 h before" next to a "15 min before" would only repeat it.
 */

/** A destroy ahead of a workspace: a TTL's end or a scheduled destroy (an edge or a window's end). */
export interface UpcomingDestroy {
  readonly workspace: string;
  readonly destroyAt: Date;
  readonly kind: 'ttl' | 'schedule';
}

/** One reminder handed to the sink. */
export interface Reminder extends UpcomingDestroy {
  /** How long before the destroy this reminder is. */
  readonly leadMs: number;
  /** Where to extend it: the workspace's dashboard page (`${TIDE_PUBLIC_URL}/workspaces/<name>`); null without TIDE_PUBLIC_URL. */
  readonly extendUrl: string | null;
}

export const DEFAULT_REMINDER_LEADS_MS: readonly number[] = [2 * 3_600_000, 15 * 60_000];

export interface ReminderPlan {
  /** The leads to send now (at most one). */
  readonly dueLeadsMs: readonly number[];
  /** The next instant a lead of this destroy becomes due, or null. */
  readonly nextAt: Date | null;
}

export function dueReminders(input: {
  readonly destroyAt: Date;
  readonly leadsMs: readonly number[];
  readonly sentLeadsMs: readonly number[];
  readonly now: Date;
}): ReminderPlan {
  const { destroyAt, now } = input;
  if (destroyAt <= now) return { dueLeadsMs: [], nextAt: null };
  const leads = [...new Set(input.leadsMs.filter((lead) => lead > 0))];
  const passed = leads.filter((lead) => destroyAt.getTime() - lead <= now.getTime());
  const nearest = passed.length > 0 ? Math.min(...passed) : null;
  const future = leads
    .filter((lead) => destroyAt.getTime() - lead > now.getTime())
    .map((lead) => destroyAt.getTime() - lead);
  return {
    dueLeadsMs: nearest !== null && !input.sentLeadsMs.includes(nearest) ? [nearest] : [],
    nextAt: future.length > 0 ? new Date(Math.min(...future)) : null,
  };
}

/**
 * The leads of one workspace: those its `notifications[].remind_before` list (a rule on `reminder`), or
 * the global ones (TIDE_REMINDER_LEADS).
 */
export function reminderLeads(
  notifications: readonly { readonly on: readonly string[]; readonly remindBeforeMs: readonly number[] }[],
  globalLeadsMs: readonly number[],
): readonly number[] {
  const own = notifications
    .filter((rule) => rule.on.includes('reminder'))
    .flatMap((rule) => rule.remindBeforeMs);
  return own.length > 0 ? own : globalLeadsMs;
}

/** The dashboard page a reminder links to, where the destroy can be postponed. */
export function extendUrl(publicUrl: string | undefined, workspace: string): string | null {
  if (!publicUrl) return null;
  return `${publicUrl.replace(/\/+$/, '')}/workspaces/${encodeURIComponent(workspace)}`;
}
