/**
 * What the API does with workspaces: read their representation, ask for runs, switch them on and off.
 * Runs are created through RunService (so the worker and live followers hear about them); the rules a
 * request must pass (config valid, mode known, destroy not protected) are checked here, before any write.
 */
import { randomUUID } from 'node:crypto';
import type { WorkspaceDefinition } from '../config/config-model.ts';
import type { Calendar } from '../schedule/schedule-model.ts';
import type { Effective, EffectiveConfig } from '../config/effective-config.ts';
import { TideError } from '../errors/tide-error.ts';
import {
  environmentHolding,
  environmentLookup,
  protectionReason,
} from '../environment/environment-protection.ts';
import type { EventHub } from '../events/event-hub.ts';
import { latestRunsOf, listRuns } from '../run/run.repo.ts';
import type { RunService } from '../run/run.service.ts';
import type { Run } from '../run/run.ts';
import { isActive, runStates } from '../run/run-state.ts';
import { listFirings, type Firing } from '../schedule/firing.repo.ts';
import { NextFiringsCache } from '../schedule/next-firings-cache.ts';
import { schedulePreviewSteps, type SchedulePreview } from '../schedule/preview.ts';
import { decodeCursor, encodeCursor, type Page } from '../store/page.ts';
import type { Db, WorkspaceObservedStatus } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { formatDuration } from '../time/duration.ts';
import {
  getWorkspaceStatus,
  listWorkspaceStatuses,
  upsertWorkspaceStatus,
} from '../workspace/workspace-status.repo.ts';
import { declaredChain, type DeclaredChain } from '../workspace-dependency/dependency-chain.ts';
import { chainOptions, dependencyGraph } from '../workspace-dependency/dependency-config.ts';
import { queueWithChain, type QueuedChain } from '../workspace-dependency/dependency-queue.ts';
import { overridesEndingAfter } from '../workspace/override.repo.ts';
import { previewWithOverrides } from '../workspace/override-preview.ts';
import type { Override } from '../workspace/override.ts';
import { listTtls, type WorkspaceTtl } from '../workspace/ttl.repo.ts';
import { changeStampOf } from '../store/change-stamp.ts';
import { mapSteps, runInSlices } from '../time/slices.ts';
import { isEnabled, workspaceView, type WorkspaceView } from './workspace-view.ts';
import { WorkspaceViewCache, type BuiltView } from './workspace-view-cache.ts';

export interface WorkspaceServiceDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly hub: Pick<EventHub, 'emit'>;
  readonly config: () => EffectiveConfig;
  readonly runs: Pick<RunService, 'enqueue'>;
  /** TIDE_TTL_MAX: the longest TTL a deploy may ask for (default 7 days). */
  readonly ttlMaxMs?: number;
}

export const DEFAULT_TTL_MAX_MS = 7 * 86_400_000;

export interface WorkspaceListQuery {
  readonly status?: WorkspaceObservedStatus;
  readonly enabled?: boolean;
  /** Only workspaces whose last drift check found drift (or only those not drifted). */
  readonly drifted?: boolean;
  readonly limit: number;
  readonly cursor?: string;
  /** Only workspaces the caller may see (its workspace patterns); filtered before paging. */
  readonly visible?: (name: string) => boolean;
}

export type RunRequestAction = 'deploy' | 'destroy' | 'plan';

/** `--with-dependencies` (deploy) and `--with-dependents` (destroy); see decision 022. */
export interface DependencyChoices {
  /** Deploy: also redeploy the dependencies that are already deployed. */
  readonly withDependencies?: boolean;
  /** Destroy: destroy the workspaces that depend on this one first (refused without it). */
  readonly withDependents?: boolean;
}

const activeStates = runStates.filter(isActive);
const finishedStates = runStates.filter((state) => !isActive(state));
const CURSOR_TAG = 'workspace';

export class WorkspaceService {
  readonly #deps: WorkspaceServiceDeps;
  readonly #nextFirings = new NextFiringsCache();
  readonly #views: WorkspaceViewCache;

  constructor(deps: WorkspaceServiceDeps) {
    this.#deps = deps;
    this.#views = new WorkspaceViewCache(changeStampOf(deps.db));
  }

  /** Workspaces by name. Filters apply before paging, so every page is full until the last. */
  async list(query: WorkspaceListQuery): Promise<Page<WorkspaceView>> {
    const config = this.#deps.config();
    const statuses = new Map((await listWorkspaceStatuses(this.#deps.db)).map((s) => [s.workspace, s]));
    const after = query.cursor === undefined ? null : decodeWorkspaceCursor(query.cursor);
    const names = [...config.workspaces.keys()].sort().filter((name) => {
      const status = statuses.get(name) ?? null;
      if (after !== null && name <= after) return false;
      if (query.visible && !query.visible(name)) return false;
      if (query.status !== undefined && (status?.status ?? 'destroyed') !== query.status) return false;
      if (query.drifted !== undefined && (status?.drifted ?? false) !== query.drifted) return false;
      return query.enabled === undefined || isEnabled(config.workspaces.get(name)!, status) === query.enabled;
    });
    const pageNames = names.slice(0, query.limit);
    // One query each for the page's active runs, last runs and overrides, however long the page.
    const observed = await this.#observed(pageNames);
    // In slices: the first page after a start or reload computes 500 schedules' next firings (200 ms).
    const items = await runInSlices(
      mapSteps(
        pageNames,
        (name) =>
          this.#builtView(name, config.workspaces.get(name)!, config.snapshot.calendars, {
            status: statuses.get(name) ?? null,
            ...observed(name),
          }).view,
      ),
    );
    const last = pageNames.at(-1);
    const more = names.length > query.limit && last !== undefined;
    return { items, next_cursor: more ? encodeCursor([CURSOR_TAG, last]) : null };
  }

  async get(name: string): Promise<WorkspaceView> {
    const config = this.#deps.config();
    const effective = lookup(config, name);
    return this.#views.get(name, config, this.#deps.clock.now(), async () => {
      const [status, observed] = await Promise.all([
        getWorkspaceStatus(this.#deps.db, name),
        this.#observed([name]),
      ]);
      return this.#builtView(name, effective, config.snapshot.calendars, { status, ...observed(name) });
    });
  }

  /** Queues a deploy, destroy or plan asked for through the API (trigger `api`) by `actor`. */
  async requestRun(
    name: string,
    action: RunRequestAction,
    mode?: string,
    actor: string | null = null,
    options: DependencyChoices = {},
  ): Promise<Run> {
    return (await this.requestRunWithChain(name, action, { mode, actor, ...options })).run;
  }

  /**
   * Queues a deploy, destroy or plan with the runs its dependency chain needs (decision 022): a deploy
   * first brings up the dependencies that are not deployed (all of them with `withDependencies`); a
   * destroy with dependents still up is refused unless `withDependents`, which destroys them first.
   */
  async requestRunWithChain(
    name: string,
    action: RunRequestAction,
    request: { mode?: string | undefined; actor?: string | null; ttlMs?: number } & DependencyChoices = {},
  ): Promise<QueuedChain> {
    const { mode, actor = null } = request;
    const config = this.#deps.config();
    const definition = validDefinition(config, name);
    const ttlSeconds = action === 'deploy' ? this.#ttlSeconds(request.ttlMs) : null;
    const holding =
      action === 'destroy' ? await environmentHolding(this.#deps.db, config.snapshot, name) : null;
    if (holding) {
      throw new TideError('conflict', `cannot destroy: ${protectionReason(name, holding)}`, {
        details: { workspace: name, environment: holding.environment },
      });
    }
    if (action === 'destroy' && definition.protect) {
      throw new TideError(
        'conflict',
        `workspace "${name}" is protected (protect: true in ${definition.file}); remove protect to destroy it`,
        { details: { workspace: name, protect: true } },
      );
    }
    if (mode !== undefined && !Object.hasOwn(definition.modes, mode)) {
      const known = Object.keys(definition.modes).sort();
      throw new TideError(
        'invalid_argument',
        `workspace "${name}" has no mode "${mode}"; known modes: ${known.join(', ') || '(none)'}`,
        { details: { workspace: name, mode, known_modes: known } },
      );
    }
    const graph = dependencyGraph(config);
    // A plan has no chain; nor has a workspace with nothing to bring up (deploy) or take down (destroy) first.
    if (action === 'plan' || declaredChain(graph, name)[action].length === 0) {
      const run = await this.#deps.runs.enqueue({
        workspace: name,
        action,
        mode: mode ?? null,
        trigger: 'api',
        actor,
        configHash: definition.contentHash,
        ttlSeconds,
      });
      return { run, queued: [], chain: null };
    }
    const queued = await queueWithChain(
      this.#deps.db,
      {
        id: randomUUID(),
        workspace: name,
        action,
        mode: mode ?? null,
        trigger: 'api',
        actor,
        config_hash: definition.contentHash,
        created_at: this.#deps.clock.now(),
        ttl_seconds: ttlSeconds,
      },
      chainOptions(config, {
        all: action === 'deploy' && (request.withDependencies ?? false),
        destroyDependents: request.withDependents ?? false,
        ...(action === 'destroy' ? { heldBy: await environmentLookup(this.#deps.db, config.snapshot) } : {}),
      }),
    );
    // Dependencies first, so a follower sees the chain in the order it runs.
    for (const run of [...queued.queued, queued.run]) this.#deps.hub.emit('run.updated', run);
    return queued;
  }

  /** A deploy's own TTL in whole seconds (rounded up), refused above TIDE_TTL_MAX; null without one. */
  #ttlSeconds(ttlMs: number | undefined): number | null {
    if (ttlMs === undefined) return null;
    const max = this.#deps.ttlMaxMs ?? DEFAULT_TTL_MAX_MS;
    if (ttlMs <= 0 || ttlMs > max) {
      const message = `must be more than 0 and at most ${formatDuration(max)} (TIDE_TTL_MAX)`;
      throw new TideError('validation_failed', `invalid request body: body.ttl: ${message}`, {
        details: { problems: [{ path: 'body.ttl', message }] },
      });
    }
    return Math.ceil(ttlMs / 1000);
  }

  /** Sets the enable/disable override, which wins over the config's `enabled` until changed again. */
  async setEnabled(name: string, enabled: boolean): Promise<WorkspaceView> {
    lookup(this.#deps.config(), name);
    const status = await upsertWorkspaceStatus(
      this.#deps.db,
      name,
      { enabled_override: enabled },
      this.#deps.clock.now(),
    );
    this.#deps.hub.emit('workspace.status', { workspace: name, status: status.status, mode: status.mode });
    return this.get(name);
  }

  /** Computed in slices (steps.ts): a long preview must not hold up health checks and heartbeats. */
  async schedule(
    name: string,
    range: { from?: Date; days: number },
  ): Promise<SchedulePreview & { readonly dependencies: DeclaredChain }> {
    const config = this.#deps.config();
    const definition = validDefinition(config, name);
    const now = this.#deps.clock.now();
    const scheduled = await runInSlices(
      schedulePreviewSteps(definition, config.snapshot.calendars, {
        from: range.from ?? now,
        days: range.days,
      }),
    );
    const preview = previewWithOverrides(
      scheduled,
      await overridesEndingAfter(this.#deps.db, now, name),
      now,
    );
    // What a deploy brings up first and a destroy takes down first, as depends_on declares it.
    return { ...preview, dependencies: declaredChain(dependencyGraph(config), name) };
  }

  /** The workspace's firing ledger, newest first; not_found unless the configuration knows the workspace. */
  async firings(name: string, page: { limit?: number; cursor?: string | null }): Promise<Page<Firing>> {
    this.assertKnown(name);
    return listFirings(this.#deps.db, { workspace: name, ...page });
  }

  /** Throws not_found unless the configuration knows the workspace (valid or not). */
  assertKnown(name: string): void {
    lookup(this.#deps.config(), name);
  }

  /** The view, and when time alone may change it: the first firing to pass, an override's end. */
  #builtView(
    name: string,
    effective: Effective<WorkspaceDefinition>,
    calendars: ReadonlyMap<string, Calendar>,
    observed: Pick<
      Parameters<typeof workspaceView>[0],
      'status' | 'activeRuns' | 'lastRun' | 'overrides' | 'ttl'
    >,
  ): BuiltView {
    const now = this.#deps.clock.now();
    const boundaries: Date[] = [
      ...(observed.overrides ?? []).map((override) => override.ends_at),
      ...(observed.ttl ? [observed.ttl.destroyAt] : []),
    ];
    const view = workspaceView({
      name,
      effective,
      ...observed,
      calendars,
      now,
      nextFirings: (definition, cals, at, count) => {
        const firings = this.#nextFirings.next(definition, cals, at, count);
        if (firings[0]) boundaries.push(firings[0].scheduled_at);
        return firings;
      },
    });
    const later = boundaries.filter((instant) => instant > now);
    const changesAt = later.length === 0 ? null : new Date(Math.min(...later.map((d) => d.getTime())));
    return { view, changesAt };
  }

  /** What the store knows of `names` beyond their status, in one query per kind. */
  async #observed(names: readonly string[]): Promise<
    (name: string) => {
      activeRuns: Run[];
      lastRun: Run | null;
      overrides: Override[];
      ttl: WorkspaceTtl | null;
    }
  > {
    const now = this.#deps.clock.now();
    const [active, last, overrides, ttls] = await Promise.all([
      this.#activeRuns(names.length === 1 ? names[0] : undefined),
      latestRunsOf(this.#deps.db, names, finishedStates),
      overridesEndingAfter(this.#deps.db, now, names),
      listTtls(this.#deps.db, names),
    ]);
    const activeOf = byWorkspace(active);
    const overridesOf = byWorkspace(overrides);
    const ttlOf = new Map(ttls.map((ttl) => [ttl.workspace, ttl]));
    return (name) => ({
      activeRuns: activeOf.get(name) ?? [],
      lastRun: last.get(name) ?? null,
      overrides: overridesOf.get(name) ?? [],
      ttl: ttlOf.get(name) ?? null,
    });
  }

  /** Queued and running runs, of one workspace or all (normally a handful: one per busy workspace). */
  async #activeRuns(workspace?: string): Promise<Run[]> {
    const runs: Run[] = [];
    let cursor: string | null = null;
    do {
      const page = await listRuns(this.#deps.db, { workspace, state: activeStates, limit: 500, cursor });
      runs.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor !== null);
    return runs;
  }
}

function lookup(config: EffectiveConfig, name: string): Effective<WorkspaceDefinition> {
  const effective = config.workspaces.get(name);
  if (!effective) {
    throw new TideError('not_found', `workspace "${name}" does not exist`, { details: { workspace: name } });
  }
  return effective;
}

/** The definition to act on: the current one, or the last good one while the files are invalid. */
function validDefinition(config: EffectiveConfig, name: string): WorkspaceDefinition {
  const { definition, configError } = lookup(config, name);
  if (!definition) {
    throw new TideError(
      'config_invalid',
      `workspace "${name}" has no valid configuration yet: ${configError ?? 'unknown error'}`,
      { details: { workspace: name, config_error: configError } },
    );
  }
  return definition;
}

function byWorkspace<T extends { readonly workspace: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.workspace);
    if (group) group.push(item);
    else groups.set(item.workspace, [item]);
  }
  return groups;
}

function decodeWorkspaceCursor(cursor: string): string {
  const [tag, name] = decodeCursor(cursor, 'string');
  if (tag !== CURSOR_TAG) {
    throw new TideError('invalid_argument', 'the cursor is malformed; pass next_cursor from a previous page');
  }
  return name;
}
