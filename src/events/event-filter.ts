/**
 * What the live event stream (`GET /api/v1/events`, src/api/events.routes.ts) sends, and to whom: the
 * hub's events as the API's snake_case messages, and the rule deciding which of them one connection
 * receives. Pure: no sockets, no store.
 *
 * Every message concerns exactly one workspace, and a connection only ever receives messages about
 * workspaces its principal may read (SPEC §7). Standalone jobs (workspace `_standalone_`) belong to no
 * workspace, so only principals without workspace patterns see them — even a `*` pattern does not
 * reach them, as no team's patterns should. The client's own subscription narrows further, never widens.
 */
import { z } from 'zod';
import { workspacePatternSchema, WorkspaceScope } from '../auth/workspace-scope.ts';
import { toRunView, type RunView } from '../run/run-view.ts';
import { STANDALONE_WORKSPACE, type Run } from '../run/run.ts';
import type { LogLinesEvent, WorkspaceStatusEvent } from '../run/run-events.ts';
import type { FiringEvent } from './event-hub.ts';

export const eventTypes = ['run.updated', 'run.log', 'workspace.status', 'firing.recorded'] as const;
export type EventType = (typeof eventTypes)[number];

export type EventMessage =
  | { readonly type: 'run.updated'; readonly run: RunView }
  | {
      readonly type: 'run.log';
      readonly run_id: string;
      readonly workspace: string;
      readonly seq: number;
      readonly stream: LogLinesEvent['stream'];
      readonly lines: readonly string[];
    }
  | ({ readonly type: 'workspace.status' } & WorkspaceStatusEvent)
  | ({ readonly type: 'firing.recorded' } & FiringEvent);

export function runUpdatedMessage(run: Run): EventMessage {
  return { type: 'run.updated', run: toRunView(run) };
}

/** The lines exactly as the hub carried them: the executor masked secrets before announcing them. */
export function runLogMessage(event: LogLinesEvent): EventMessage {
  return {
    type: 'run.log',
    run_id: event.runId,
    workspace: event.workspace,
    seq: event.seq,
    stream: event.stream,
    lines: event.lines,
  };
}

export function workspaceStatusMessage(event: WorkspaceStatusEvent): EventMessage {
  return {
    type: 'workspace.status',
    workspace: event.workspace,
    status: event.status,
    mode: event.mode,
    ...(event.drifted === undefined ? {} : { drifted: event.drifted }),
  };
}

export function firingMessage(event: FiringEvent): EventMessage {
  return {
    type: 'firing.recorded',
    workspace: event.workspace,
    schedule_key: event.schedule_key,
    action: event.action,
    scheduled_at: event.scheduled_at,
    outcome: event.outcome,
    reason: event.reason,
    run_id: event.run_id,
  };
}

export function workspaceOf(message: EventMessage): string {
  return message.type === 'run.updated' ? message.run.workspace : message.workspace;
}

/** Whether a principal with this scope may read anything about `workspace`. */
export function scopeAdmits(scope: WorkspaceScope, workspace: string): boolean {
  return workspace === STANDALONE_WORKSPACE ? scope.unrestricted : scope.allows(workspace);
}

/** The most patterns or types one subscription may name; the stream needs no more, and it bounds the work per event. */
const MAX_SUBSCRIPTION_ENTRIES = 100;

/** A workspace pattern as the API takes them (`web`, `team-a-*`), or `_standalone_` for standalone jobs. */
const subscribedWorkspace = z.union([workspacePatternSchema, z.literal(STANDALONE_WORKSPACE)]);

/**
 * `{"subscribe": {"workspaces"?: [...], "types"?: [...]}}`, sent by the client at any time. Each one
 * replaces the previous subscription; an omitted list means "no narrowing" on that axis, so
 * `{"subscribe": {}}` restores the default: everything the principal may read.
 */
export const subscribeMessageSchema = z.strictObject({
  subscribe: z.strictObject({
    workspaces: z.array(subscribedWorkspace).min(1).max(MAX_SUBSCRIPTION_ENTRIES).optional(),
    types: z.array(z.enum(eventTypes)).min(1).max(MAX_SUBSCRIPTION_ENTRIES).optional(),
  }),
});

export interface Subscription {
  /** Patterns as the client sent them; null = every workspace the principal may read. */
  readonly workspaces: readonly string[] | null;
  /** null = every type. */
  readonly types: readonly EventType[] | null;
}

export const everything: Subscription = { workspaces: null, types: null };

/** A subscription ready to test messages against (patterns compiled once, not per event). */
export class EventFilter {
  readonly #workspaces: WorkspaceScope | null;
  readonly #types: ReadonlySet<EventType> | null;

  constructor(readonly subscription: Subscription) {
    this.#workspaces = subscription.workspaces ? WorkspaceScope.of(subscription.workspaces) : null;
    this.#types = subscription.types ? new Set(subscription.types) : null;
  }

  static fromMessage(parsed: z.output<typeof subscribeMessageSchema>): EventFilter {
    const { workspaces, types } = parsed.subscribe;
    return new EventFilter({ workspaces: workspaces ?? null, types: types ?? null });
  }

  /** The principal's scope first (what it may read), then the subscription (what it asked for). */
  admits(scope: WorkspaceScope, message: EventMessage): boolean {
    const workspace = workspaceOf(message);
    if (!scopeAdmits(scope, workspace)) return false;
    if (this.#types && !this.#types.has(message.type)) return false;
    return this.#workspaces === null || this.#workspaces.allows(workspace);
  }
}
