/**
 * `notify(db, event)`: the one way to emit a notification. Called inside the transaction of the state
 * change it announces (a run's outcome, a firing's ledger row, a switch), it writes one outbox row per
 * target the configuration routes the event to, so the notification exists if and only if the change
 * does. The dedupe key (`<type>:<id>:<target>`) makes a second call for the same change a no-op.
 */
import { globToRegExp } from '../auth/workspace-scope.ts';
import type { ConfigSnapshot, NotificationTarget, WorkspaceDefinition } from '../config/config-model.ts';
import type { Db } from '../store/schema.ts';
import { selects, type NotificationEvent } from './notification-event.ts';
import { enqueue, type OutboxEntry } from './outbox.repo.ts';

export interface RoutedTarget {
  /** A global target's name, or `workspace:<name>#<rule index>.<kind>` for one written in a workspace. */
  readonly name: string;
  readonly target: NotificationTarget;
}

/** Where the configuration sends the event: the global rules' targets, then the workspace's own. */
export function routeEvent(
  event: NotificationEvent,
  snapshot: Pick<ConfigSnapshot, 'notifications'>,
  workspace: WorkspaceDefinition | null | undefined,
): RoutedTarget[] {
  const routed = new Map<string, NotificationTarget>();
  const settings = snapshot.notifications;
  const named = (name: string) => {
    const target = settings?.targets.get(name);
    if (target) routed.set(name, target);
  };
  for (const rule of settings?.rules ?? []) {
    if (!rule.on.some((name) => selects(name, event, rule.actions))) continue;
    if (rule.workspaces.length > 0) {
      const name = event.workspace;
      if (name === undefined || !rule.workspaces.some((p) => globToRegExp(p).test(name))) continue;
    }
    rule.targets.forEach(named);
  }
  workspace?.notifications.forEach((rule, index) => {
    if (!rule.on.some((name) => selects(name, event, rule.actions))) return;
    const own = `workspace:${workspace.name}#${index}`;
    if (rule.email.length > 0) routed.set(`${own}.email`, { type: 'email', to: rule.email });
    if (rule.webhook)
      routed.set(`${own}.webhook`, {
        type: 'webhook',
        url: rule.webhook,
        ...(rule.webhookSecret && { secret: rule.webhookSecret }),
      });
    if (rule.slackUrlSecret) routed.set(`${own}.slack`, { type: 'slack', urlSecret: rule.slackUrlSecret });
    if (rule.teamsUrlSecret) routed.set(`${own}.teams`, { type: 'teams', urlSecret: rule.teamsUrlSecret });
    if (rule.target) named(rule.target);
  });
  return [...routed].map(([name, target]) => ({ name, target }));
}

export function outboxEntries(event: NotificationEvent, targets: readonly RoutedTarget[]): OutboxEntry[] {
  const payload = JSON.stringify(event);
  return targets.map(({ name, target }) => ({
    dedupeKey: `${event.type}:${event.id}:${name}`,
    eventType: event.type,
    workspace: event.workspace ?? null,
    target: name,
    targetType: target.type,
    destination: JSON.stringify(target),
    payload,
  }));
}

/** What emitters need: the configuration in force, to route by. */
export type NotificationConfig = () => {
  readonly snapshot: Pick<ConfigSnapshot, 'notifications'>;
  readonly workspaces: ReadonlyMap<string, { readonly definition: WorkspaceDefinition | null }>;
};

export type Notify = (db: Db, event: NotificationEvent) => Promise<number>;

/**
 * The `notify` the daemon hands to emitters. Returns how many outbox rows were added (0 when nothing is
 * routed, or the event was enqueued before).
 */
export function notifier(config: NotificationConfig, clock: { now(): Date }): Notify {
  return async (db, event) => {
    const current = config();
    const workspace = event.workspace ? current.workspaces.get(event.workspace)?.definition : null;
    const targets = routeEvent(event, current.snapshot, workspace);
    if (targets.length === 0) return 0;
    return enqueue(db, outboxEntries(event, targets), clock.now());
  };
}
